/**
 * Retrain + re-rank time of the screening model on 10,000 real records.
 *
 *   npx tsx bench/screening-speed.ts [--records 10000] [--models nb,logistic,svm,ensemble]
 *
 * Records: the Cohen 2006 datasets concatenated (title, abstract,
 * label_included), cut to --records. The feature matrix is built once (timed
 * separately); then, for each classifier, a screening session is replayed:
 * labels are revealed in the model's order and, at 20 points between 52 and
 * 1,002 labelled records, one retrain (fit on every label so far) plus a full
 * re-rank (sort) of the unlabelled records is timed. Prints the median and the
 * 90th percentile.
 */
import { parseArgs } from 'node:util'
import type { LabelledRecord } from '../src/screening/active-learning.ts'
import { recordText } from '../src/screening/features.ts'
import type { ClassifierName } from '../src/screening/models.ts'
import { buildModelFeatures, createModel, MODEL_PIPELINES } from '../src/screening/pipelines.ts'
import { cohenRecords, quantile } from './support.ts'

const { values } = parseArgs({ options: { records: { type: 'string' }, models: { type: 'string' } } })
const size = Number(values.records ?? 10000)

const records = cohenRecords()
if (records.length < size) console.warn(`only ${records.length} records available`)
const sample = records.slice(0, size)
const texts = sample.map(recordText)

console.log(`records: ${sample.length} (${sample.filter((r) => r.included).length} relevant), node ${process.version}`)
for (const classifier of (values.models ?? 'nb,logistic,svm,ensemble').split(',') as ClassifierName[]) {
  let started = performance.now()
  const features = buildModelFeatures(texts, classifier)
  const featureMs = performance.now() - started
  const described = features.map((f, i) => `${f.matrix.cols} terms, ${f.matrix.indices.length} non-zeros (${JSON.stringify(MODEL_PIPELINES[classifier][i].featureOptions)})`)
  console.log(`${classifier}: features ${featureMs.toFixed(0)} ms — ${described.join('; ')}`)

  const model = createModel(classifier, features, { seed: 1 })
  const firstInclude = sample.findIndex((r) => r.included)
  const firstExclude = sample.findIndex((r) => !r.included)
  const labelled: LabelledRecord[] = [{ index: firstInclude, label: 1 }, { index: firstExclude, label: 0 }]
  const fitMs: number[] = []
  const totalMs: number[] = []
  const cpuMs: number[] = []
  // Labels are revealed 10 at a time (the model's top 10 after each fit); every 50 labels,
  // one fit + full re-rank is timed: 20 rounds between 52 and 1002 labelled records.
  while (labelled.length <= 1002) {
    const timed = (labelled.length - 2) % 50 === 0 && labelled.length >= 52
    started = performance.now()
    const cpuStart = process.cpuUsage()
    model.fit(labelled)
    const fitted = performance.now()
    if (timed) {
      const order = model.rank()
      const done = performance.now()
      const cpu = process.cpuUsage(cpuStart)
      cpuMs.push((cpu.user + cpu.system) / 1000)
      fitMs.push(fitted - started)
      totalMs.push(done - started)
      if (order.length !== sample.length - labelled.length) throw new Error('rank length mismatch')
    }
    for (const index of model.next(10)) labelled.push({ index, label: sample[index].included ? 1 : 0 })
  }
  console.log(`${classifier}: retrain + re-rank over ${totalMs.length} rounds (52…1002 labels): median ${quantile(totalMs, 0.5).toFixed(1)} ms, p90 ${quantile(totalMs, 0.9).toFixed(1)} ms (retrain alone: median ${quantile(fitMs, 0.5).toFixed(1)} ms); CPU time median ${quantile(cpuMs, 0.5).toFixed(1)} ms`)
}
