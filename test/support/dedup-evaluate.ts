/**
 * Accuracy of a deduplication against known duplicates, measured two ways.
 *
 * Record level (the measure of ASySD and DedupEndNote; the quality target
 * applies to it). Keeping each predicted cluster's primary and removing the
 * other members:
 *   - a removed record is a true positive when the record kept in its place
 *     is a true duplicate of it, a false positive otherwise (a distinct
 *     study removed);
 *   - the records that should be removed are, per true cluster of k records,
 *     k − 1; those not removed correctly are false negatives;
 *   - the records that should be kept are one per true cluster (one per
 *     distinct study); those not wrongly removed are true negatives.
 *   sensitivity = TP / (TP + FN), specificity = TN / (TN + FP).
 *
 * Pairwise: every pair of records is a duplicate pair in truth or not, and
 * in the prediction or not. Pairwise specificity is always close to 1 (the
 * non-duplicate pairs number ~n²/2), so pairwise precision is reported
 * alongside as the telling figure.
 */

export interface RecordLevelMetrics {
  truePositives: number
  falsePositives: number
  trueNegatives: number
  falseNegatives: number
  sensitivity: number
  specificity: number
}

export interface PairwiseMetrics {
  truePairs: number
  predictedPairs: number
  correctPairs: number
  sensitivity: number
  precision: number
  specificity: number
}

export interface DedupEvaluation {
  records: number
  distinctStudies: number
  recordLevel: RecordLevelMetrics
  pairwise: PairwiseMetrics
}

/**
 * Scores predicted clusters against the truth. `truth` maps every record id
 * to the label of its true cluster (records with the same label are
 * duplicates); `predicted` lists the clusters of two or more records with
 * the primary that is kept. Records absent from `predicted` are kept alone.
 */
export function evaluateDedup(
  truth: ReadonlyMap<string, string>,
  predicted: ReadonlyArray<{ primaryId: string; memberIds: readonly string[] }>
): DedupEvaluation {
  const trueSizes = new Map<string, number>()
  for (const label of truth.values()) trueSizes.set(label, (trueSizes.get(label) ?? 0) + 1)
  let shouldRemove = 0
  let truePairs = 0
  for (const size of trueSizes.values()) {
    shouldRemove += size - 1
    truePairs += (size * (size - 1)) / 2
  }
  const labelOf = (id: string): string => {
    const label = truth.get(id)
    if (label === undefined) throw new Error(`record ${id} has no truth label`)
    return label
  }

  let truePositives = 0
  let falsePositives = 0
  let predictedPairs = 0
  let correctPairs = 0
  for (const cluster of predicted) {
    const keptLabel = labelOf(cluster.primaryId)
    const labelCounts = new Map<string, number>()
    for (const id of cluster.memberIds) {
      const label = labelOf(id)
      labelCounts.set(label, (labelCounts.get(label) ?? 0) + 1)
      if (id === cluster.primaryId) continue
      if (label === keptLabel) truePositives++
      else falsePositives++
    }
    const size = cluster.memberIds.length
    predictedPairs += (size * (size - 1)) / 2
    for (const n of labelCounts.values()) correctPairs += (n * (n - 1)) / 2
  }
  const records = truth.size
  const distinctStudies = trueSizes.size
  const falseNegatives = shouldRemove - truePositives
  const trueNegatives = Math.max(0, distinctStudies - falsePositives)
  const allPairs = (records * (records - 1)) / 2
  const nonDuplicatePairs = allPairs - truePairs
  return {
    records,
    distinctStudies,
    recordLevel: {
      truePositives,
      falsePositives,
      trueNegatives,
      falseNegatives,
      sensitivity: shouldRemove === 0 ? 1 : truePositives / shouldRemove,
      specificity: distinctStudies === 0 ? 1 : trueNegatives / distinctStudies
    },
    pairwise: {
      truePairs,
      predictedPairs,
      correctPairs,
      sensitivity: truePairs === 0 ? 1 : correctPairs / truePairs,
      precision: predictedPairs === 0 ? 1 : correctPairs / predictedPairs,
      specificity: nonDuplicatePairs === 0 ? 1 : 1 - (predictedPairs - correctPairs) / nonDuplicatePairs
    }
  }
}
