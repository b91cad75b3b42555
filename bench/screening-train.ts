/**
 * Retrain + re-rank of a screening model (default: the service's default, ensemble) at 10,000 records,
 * in the process's training thread (src/screening/training-thread.ts) and on
 * the calling thread, with the event loop's delay while it runs.
 *
 *   npx tsx bench/screening-train.ts [--records 10000] [--runs 10] [--labelled 300] [--model ensemble]
 *
 * Records: the Cohen 2006 datasets concatenated, cut to --records; --labelled
 * records get their true label (the first include and exclude among them).
 * One warm-up training builds the features (kept by the thread, as in the
 * service); each timed run then adds 10 labels and retrains + scores every
 * record. Round trip = what the service waits for (texts copied to the
 * thread, fingerprint, fit, scores back). Event-loop delay: a
 * perf_hooks.monitorEventLoopDelay histogram (10 ms resolution… 1 ms) over
 * the runs, while a 1 ms interval timer keeps the loop busy as requests would.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { recordText } from '../src/screening/features.ts'
import { closeTrainingThread, trainingThread } from '../src/screening/training-thread.ts'
import { train, type TrainRequest } from '../src/screening/training-worker.ts'
import { parseModels } from '../src/screening/simulate.ts'
import { cohenRecords, quantile } from './support.ts'

const { values } = parseArgs({ options: { records: { type: 'string' }, runs: { type: 'string' }, labelled: { type: 'string' }, model: { type: 'string' } } })
const model = parseModels(values.model ?? 'ensemble')[0]
const size = Number(values.records ?? 10000)
const runs = Number(values.runs ?? 10)
const labelledCount = Number(values.labelled ?? 300)

const records = cohenRecords()
const sample = records.slice(0, size)
const texts = sample.map(recordText)
const ids = sample.map((_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`)
const labelsUpTo = (n: number): TrainRequest['labels'] => sample.slice(0, n).map((r, index) => [ids[index], r.included ? 'include' : 'exclude'])

const fmt = (xs: number[]) => `median ${quantile(xs, 0.5).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`

async function measure(name: string, run: (request: Omit<TrainRequest, 'id'>) => Promise<{ fitMs: number; featureMs: number }>) {
  await run({ key: name, fingerprint: 'bench', records: { ids, texts }, classifier: model, labels: labelsUpTo(labelledCount) })
  const delay = monitorEventLoopDelay({ resolution: 1 })
  const tick = setInterval(() => {}, 1)
  delay.enable()
  const total: number[] = []
  const fit: number[] = []
  const cpu: number[] = []
  for (let i = 1; i <= runs; i++) {
    const started = performance.now()
    const cpuStart = process.cpuUsage()
    const result = await run({ key: name, fingerprint: 'bench', records: { ids, texts }, classifier: model, labels: labelsUpTo(labelledCount + 10 * i) })
    const used = process.cpuUsage(cpuStart)
    total.push(performance.now() - started)
    fit.push(result.fitMs + result.featureMs)
    cpu.push((used.user + used.system) / 1000)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  delay.disable()
  clearInterval(tick)
  const ms = (ns: number) => (ns / 1e6).toFixed(1)
  console.log(`${name}: round trip ${fmt(total)}; fit + score ${fmt(fit)}; process CPU ${fmt(cpu)}`)
  console.log(`  event-loop delay: p50 ${ms(delay.percentile(50))} ms, p99 ${ms(delay.percentile(99))} ms, max ${ms(delay.max)} ms`)
}

console.log(`records: ${sample.length}, labelled ${labelledCount}..${labelledCount + 10 * runs}, ${model}, ${runs} runs, node ${process.version}`)
await measure('worker thread', async (request) => (await trainingThread().train(request))!)
await measure('main thread', async (request) => train(request))
await closeTrainingThread()
