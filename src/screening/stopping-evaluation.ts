/**
 * Evaluation of the stopping rules on simulated screening runs: for each rule
 * and threshold, the recall reached when it first says "stop" and the share of
 * records screened by then. The sequence a rule sees is the real screening
 * sequence: the prior-knowledge records first, then the records in the order
 * the model proposed them.
 */
import { hypergeometricStoppingSignal, kneeStoppingSignal, estimateRemainingByRecentRate, recordsSinceLastInclude } from './stopping.ts'

/** One simulated run, as scripts/evaluate-models.ts stores it. */
export interface StoppingRun {
  records: number
  priorIncluded: number
  priorExcluded: number
  /** 1-based positions, in the order screened after the priors, of the relevant records. */
  relevantPositions: number[]
  dataset?: string
  model?: string
  seed?: number
}

export interface StoppingRule {
  name: string
  /** Checked every `every` records (rules that cost O(screened) per check). */
  every: number
  stop(labels: readonly (0 | 1)[], records: number): boolean
}

export const STOPPING_RULES: readonly StoppingRule[] = [
  ...[50, 100, 200].map((t) => ({
    name: `since-last-include ≥ ${t}`,
    every: 1,
    stop: (labels: readonly (0 | 1)[]) => recordsSinceLastInclude(labels) >= t
  })),
  ...[1, 0.5].map((t) => ({
    name: `recent-rate upper < ${t}`,
    every: 1,
    stop: (labels: readonly (0 | 1)[], records: number) => labels.length >= 100 && estimateRemainingByRecentRate(labels, records - labels.length, 100).upper! < t
  })),
  { name: 'knee', every: 10, stop: (labels) => kneeStoppingSignal(labels).stop },
  ...[0.95, 0.9].map((target) => ({
    name: `hypergeometric recall ${target * 100}% @ 95%`,
    every: 10,
    stop: (labels: readonly (0 | 1)[], records: number) => hypergeometricStoppingSignal(labels, records, { recallTarget: target, confidence: 0.95 }).stop
  }))
]

export interface RuleOutcome {
  rule: string
  runs: number
  meanRecall: number
  /** Share of runs that had reached ≥ 95% recall when the rule said stop. */
  shareReaching95: number
  /** 5th percentile of the recall at stop over runs. */
  recallP5: number
  minRecall: number
  meanScreened: number
  /** Runs where the rule never said stop (counted as full screening, recall 1). */
  neverStopped: number
}

/** The labels (1 relevant) of a run in screening order, priors first. */
export function runLabels(run: StoppingRun): (0 | 1)[] {
  const labels: (0 | 1)[] = new Array(run.records).fill(0)
  for (let i = 0; i < run.priorIncluded; i++) labels[i] = 1
  const offset = run.priorIncluded + run.priorExcluded
  for (const position of run.relevantPositions) labels[offset + position - 1] = 1
  return labels
}

/** Where the rule first says stop in this run: records screened and recall then; null when it never does. */
export function firstStop(rule: StoppingRule, labels: readonly (0 | 1)[], priors: number): { screened: number, recall: number } | null {
  const relevant = labels.reduce<number>((s, v) => s + v, 0)
  let found = 0
  for (let i = 0; i < priors; i++) found += labels[i]
  for (let screened = priors + 1; screened <= labels.length; screened++) {
    found += labels[screened - 1]
    if ((screened - priors) % rule.every !== 0 && screened !== labels.length) continue
    if (rule.stop(labels.slice(0, screened), labels.length)) return { screened, recall: found / relevant }
  }
  return null
}

export function evaluateStoppingRules(runs: readonly StoppingRun[], rules: readonly StoppingRule[] = STOPPING_RULES): RuleOutcome[] {
  return rules.map((rule) => {
    const recalls: number[] = []
    const shares: number[] = []
    let neverStopped = 0
    for (const run of runs) {
      const labels = runLabels(run)
      const stop = firstStop(rule, labels, run.priorIncluded + run.priorExcluded)
      if (!stop) neverStopped++
      recalls.push(stop ? stop.recall : 1)
      shares.push(stop ? stop.screened / run.records : 1)
    }
    const sorted = [...recalls].sort((a, b) => a - b)
    return {
      rule: rule.name,
      runs: runs.length,
      meanRecall: mean(recalls),
      shareReaching95: recalls.filter((r) => r >= 0.95).length / Math.max(1, runs.length),
      recallP5: sorted[Math.floor(0.05 * (sorted.length - 1))] ?? NaN,
      minRecall: sorted[0] ?? NaN,
      meanScreened: mean(shares),
      neverStopped
    }
  })
}

function mean(xs: number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((s, v) => s + v, 0) / xs.length
}

/** The rule the API recommends, and the claim the evaluation has to support. */
export const DEFAULT_STOPPING_RULE = 'hypergeometric recall 95% @ 95%'

/** The static evidence record served with the stopping signals (src/screening/stopping-evidence.json). */
export function stoppingEvidence(outcomes: readonly RuleOutcome[], runs: readonly StoppingRun[]) {
  const chosen = outcomes.find((o) => o.rule === DEFAULT_STOPPING_RULE)
  const supported = chosen !== undefined && chosen.shareReaching95 >= 0.95
  return {
    generatedBy: 'npx tsx scripts/evaluate-models.ts report --evidence src/screening/stopping-evidence.json',
    protocol: 'simulated screening in model order (ASReview protocol: 1 relevant + 1 irrelevant random prior, retrain after every record, max query); ' +
      'each rule checked as records are screened; recall counted over all relevant records, priors included',
    datasets: [...new Set(runs.map((r) => r.dataset).filter(Boolean))],
    models: [...new Set(runs.map((r) => r.model).filter(Boolean))],
    runs: runs.length,
    defaultRule: DEFAULT_STOPPING_RULE,
    claim: supported
      ? `stopping when this rule first says stop reached ≥ 95% recall in ${(chosen.shareReaching95 * 100).toFixed(1)}% of ${chosen.runs} simulated runs (≥ 95% claimed)`
      : `not supported: this rule reached ≥ 95% recall in ${chosen ? (chosen.shareReaching95 * 100).toFixed(1) : '?'}% of simulated runs, below the 95% claimed`,
    supported,
    rules: outcomes
  }
}
