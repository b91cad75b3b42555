/**
 * The screening models offered, each assembled from named parts as ASReview assembles its models: a
 * feature extractor (TF-IDF settings), a classifier and a balancer form a pipeline; a model is one
 * pipeline, or several whose rankings are fused (the ensemble).
 *
 * - 'nb' reproduces ASReview 1's default model: TF-IDF on unigrams with English stop words and raw
 *   counts, multinomial naive Bayes (alpha 3.822), double balance.
 * - 'svm' is ASReview 2's default "ELAS u4": unigrams and bigrams, sublinear tf, no stop-word list,
 *   terms in more than 95% of records dropped, a linear SVM (squared hinge, C 0.11), "balanced"
 *   weights with ratio 9.8. Terms seen in a single record are dropped too (minDf 2): they cannot help
 *   rank any other record, and dropping them makes each retraining several times faster.
 * - 'logistic' is that pipeline with logistic regression as its classifier.
 * - 'ensemble' (the default, see bench/README.md "Model choice") fuses the 'nb' and 'svm' pipelines,
 *   each on its own features and balance, by reciprocal-rank fusion (fuseScreeningModels) with
 *   k = ENSEMBLE_FUSION_K.
 */
import { createScreeningModel, fuseScreeningModels, type ScreeningModel } from './active-learning.ts'
import { buildTfidf, type SparseMatrix, type TfidfFeatures, type TfidfOptions } from './features.ts'
import type { BalanceStrategy, BaseClassifierName, ClassifierName, ClassifierOptions } from './models.ts'

export interface Pipeline {
  classifier: BaseClassifierName
  featureOptions: TfidfOptions
  balance: BalanceStrategy
  /** For balance 'balanced': total weight of excludes over includes. */
  balanceRatio?: number
}

const NB: Pipeline = { classifier: 'nb', featureOptions: { ngramMax: 1, sublinearTf: false }, balance: 'double' }
const ELAS_FEATURES: TfidfOptions = { ngramMax: 2, sublinearTf: true, stopWords: false, maxDfRatio: 0.95, minDf: 2 }
const SVM: Pipeline = { classifier: 'svm', featureOptions: ELAS_FEATURES, balance: 'balanced', balanceRatio: 9.8 }
const LOGISTIC: Pipeline = { ...SVM, classifier: 'logistic' }

/**
 * The ensemble's reciprocal-rank fusion constant, chosen leave-one-dataset-out among 60 (the usual
 * value), 200, 2,000 and 20,000 (bench/README.md "Fusion constant"): large next to the number of
 * records of most reviews, so a record that both pipelines rank fairly high comes before one that only
 * one of them ranks first.
 */
export const ENSEMBLE_FUSION_K = 20000

export const MODEL_PIPELINES: Record<ClassifierName, readonly Pipeline[]> = {
  nb: [NB],
  logistic: [LOGISTIC],
  svm: [SVM],
  ensemble: [NB, SVM]
}

/** The features of each of a model's pipelines, in pipeline order (built once per distinct setting). */
export function buildModelFeatures(texts: readonly string[], model: ClassifierName): TfidfFeatures[] {
  const built = new Map<string, TfidfFeatures>()
  return MODEL_PIPELINES[model].map(({ featureOptions }) => {
    const key = JSON.stringify(featureOptions)
    let features = built.get(key)
    if (!features) {
      features = buildTfidf(texts, featureOptions)
      built.set(key, features)
    }
    return features
  })
}

export interface ModelOptions {
  /** Seeds the random order before training and double balance's resampling. */
  seed: number
  classifierOptions?: ClassifierOptions
  /** See ScreeningModelOptions.priorScores. */
  priorScores?: ArrayLike<number | null | undefined>
  /** A model of several pipelines: the fusion constant k. Default ENSEMBLE_FUSION_K (set only to evaluate others). */
  fusionK?: number
}

/** A model's active-learning ranker over features from buildModelFeatures (same records, same order). */
export function createModel(model: ClassifierName, features: ReadonlyArray<TfidfFeatures | SparseMatrix>, options: ModelOptions): ScreeningModel {
  const pipelines = MODEL_PIPELINES[model]
  if (!pipelines) throw new RangeError(`unknown model "${model as string}"`)
  if (features.length !== pipelines.length) throw new RangeError(`model "${model}" needs ${pipelines.length} feature matrices, got ${features.length}`)
  const members = pipelines.map((pipeline, i) => createScreeningModel({
    seed: options.seed, features: features[i], classifier: pipeline.classifier, classifierOptions: options.classifierOptions,
    balance: pipeline.balance, balanceRatio: pipeline.balanceRatio, priorScores: options.priorScores
  }))
  return members.length === 1 ? members[0] : fuseScreeningModels(members, { seed: options.seed, k: options.fusionK ?? ENSEMBLE_FUSION_K })
}
