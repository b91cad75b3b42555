/**
 * Leave-one-dataset-out evaluation of the screening models, and of the
 * stopping rules, over every labelled dataset in ../shared/datasets/screening/.
 *
 *   npx tsx scripts/evaluate-models.ts run [--models nb,svm,ensemble,logistic] [--seeds 1..15]
 *                                          [--priors 1,1] [--fusion-k 200] [--out bench/results/evaluation.jsonl]
 *   npx tsx scripts/evaluate-models.ts report [--out bench/results/evaluation.jsonl[,more.jsonl]] [--models nb,svm]
 *                                             [--evidence src/screening/stopping-evidence.json]
 *
 * `run` simulates each (seed, dataset, model) with ASReview's protocol
 * (priors drawn per seed, retrain after every record, "max" query) and appends
 * one JSON line per finished run to --out, seeds in the outer loop so that a
 * partial file covers every dataset; an interrupted run is resumed by running
 * the same command again (finished runs are skipped). --fusion-k evaluates the
 * ensemble with another fusion constant than its default: its lines are
 * labelled "ensemble k=<k>", a model of their own for `report`.
 *
 * `report` prints, in Markdown, per dataset and model the mean WSS@95, WSS@100,
 * RRF@10 and ATD, the mean over datasets and the worst dataset; then the
 * leave-one-dataset-out choice of model (for each dataset, the model with the
 * best mean WSS@95 on the *other* datasets among those never more than 2 points
 * below nb on them, scored on this one); then every
 * stopping rule and threshold (see stopping-evaluation.ts) with the recall
 * reached when it says stop and the share of records screened; and writes the
 * stopping evidence record served by the API.
 */
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { parseLabelledCsv, parseModels, parsePriors, parseSeeds, simulateScreening, SimulationError } from '../src/screening/simulate.ts'
import { ENSEMBLE_FUSION_K, MODEL_PIPELINES } from '../src/screening/pipelines.ts'
import { evaluateStoppingRules, stoppingEvidence, type StoppingRun } from '../src/screening/stopping-evaluation.ts'
import type { ScreeningMetrics } from '../src/screening/metrics.ts'
import type { ClassifierName } from '../src/screening/models.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const datasetDir = path.join(root, '../shared/datasets/screening')

interface RunLine extends StoppingRun {
  dataset: string
  model: string
  seed: number
  metrics: ScreeningMetrics
  durationMs: number
  cpuMs?: number
}

function datasets(): Array<{ name: string, file: string }> {
  const out: Array<{ name: string, file: string }> = []
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.isDirectory()) walk(path.join(dir, entry.name))
      else if (entry.name.endsWith('.csv')) out.push({ name: entry.name.replace(/\.csv$/, ''), file: path.join(dir, entry.name) })
    }
  }
  walk(datasetDir)
  return out
}

function readLines(file: string): RunLine[] {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as RunLine)
}

async function run(values: Record<string, string | undefined>): Promise<void> {
  const models = parseModels(values.models ?? 'nb,svm,ensemble,logistic')
  const seeds = parseSeeds(values.seeds ?? '1..15')
  const priors = parsePriors(values.priors ?? '1,1')
  const out = values.out!
  const fusionK = values['fusion-k'] === undefined ? ENSEMBLE_FUSION_K : Number(values['fusion-k'])
  if (!Number.isFinite(fusionK) || fusionK <= 0) throw new SimulationError(`--fusion-k must be a positive number (got "${values['fusion-k']}")`)
  // A model of one pipeline has no fusion: its label stays its name.
  const label = (model: ClassifierName) => (MODEL_PIPELINES[model].length > 1 && fusionK !== ENSEMBLE_FUSION_K ? `${model} k=${fusionK}` : model)
  const done = new Set(readLines(out).map((l) => `${l.dataset}/${l.model}/${l.seed}`))
  const loaded = datasets().map((d) => ({ ...d, records: parseLabelledCsv(readFileSync(d.file)).records }))
  for (const seed of seeds) {
    for (const { name, records } of loaded) {
      for (const model of models) {
        if (done.has(`${name}/${label(model)}/${seed}`)) continue
        const cpuBefore = process.cpuUsage()
        const result = await simulateScreening(records, { seeds: [seed], classifier: model, fusionK, ...priors })
        const cpu = process.cpuUsage(cpuBefore)
        const r = result.runs[0]
        const line: RunLine = {
          dataset: name, model: label(model), seed, metrics: r.metrics, durationMs: Math.round(r.durationMs),
          // CPU time of the run (user + system): the machine is shared, so wall time overstates it.
          cpuMs: Math.round((cpu.user + cpu.system) / 1000),
          records: records.length,
          priorIncluded: priors.priorIncluded,
          priorExcluded: priors.priorExcluded,
          // 1-based positions, in the screening order after the priors, of the relevant records.
          relevantPositions: r.order.flatMap((index, i) => (records[index].included ? [i + 1] : []))
        }
        appendFileSync(out, JSON.stringify(line) + '\n')
        console.log(`${name} ${label(model)} seed ${seed}: WSS@95 ${(r.metrics.wss95 * 100).toFixed(1)} (${(r.durationMs / 1000).toFixed(1)} s, CPU ${(line.cpuMs! / 1000).toFixed(1)} s)`)
      }
    }
  }
}

const pct = (v: number) => (v * 100).toFixed(1)
const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length

function report(values: Record<string, string | undefined>): void {
  // Labels as written by run ("ensemble k=200" included).
  const wanted = values.models ? values.models.split(',').map((m) => m.trim()) : null
  const lines = values.out!.split(',').flatMap((file) => readLines(file)).filter((l) => !wanted || wanted.includes(l.model))
  const models = [...new Set(lines.map((l) => l.model))]
  const names = [...new Set(lines.map((l) => l.dataset))].sort()
  const keys = ['wss95', 'wss100', 'rrf10', 'atd'] as const
  // means[model][dataset][metric]
  const means = new Map<string, Map<string, Record<string, number> & { seeds: number }>>()
  for (const model of models) {
    const byDataset = new Map<string, Record<string, number> & { seeds: number }>()
    for (const name of names) {
      const runs = lines.filter((l) => l.model === model && l.dataset === name)
      if (runs.length === 0) continue
      const entry = { seeds: runs.length } as Record<string, number> & { seeds: number }
      for (const key of keys) entry[key] = mean(runs.map((r) => r.metrics[key]))
      byDataset.set(name, entry)
    }
    means.set(model, byDataset)
  }
  // Only datasets every model has results for enter the comparison.
  const common = names.filter((name) => models.every((m) => means.get(m)!.has(name)))
  console.log(`Runs: ${lines.length}; models ${models.join(', ')}; datasets compared: ${common.length} of ${names.length}\n`)
  for (const key of keys) {
    console.log(`\n${{ wss95: 'WSS@95', wss100: 'WSS@100', rrf10: 'RRF@10', atd: 'ATD (lower is better)' }[key]}, % (mean over seeds)\n`)
    console.log(`| dataset | ${models.map((m) => `${m} (seeds)`).join(' | ')} |`)
    console.log(`|---|${models.map(() => '---').join('|')}|`)
    for (const name of common) console.log(`| ${name} | ${models.map((m) => `${pct(means.get(m)!.get(name)![key])} (${means.get(m)!.get(name)!.seeds})`).join(' | ')} |`)
    console.log(`| **mean** | ${models.map((m) => pct(mean(common.map((n) => means.get(m)!.get(n)![key])))).join(' | ')} |`)
    if (key !== 'atd') {
      console.log(`| **worst** | ${models.map((m) => {
        const worst = common.reduce((a, b) => (means.get(m)!.get(a)![key] <= means.get(m)!.get(b)![key] ? a : b))
        return `${pct(means.get(m)!.get(worst)![key])} (${worst})`
      }).join(' | ')} |`)
    }
  }
  if (models.includes('nb')) {
    console.log('\nWSS@95 difference to nb, points: mean, and worst dataset\n')
    console.log('| model | mean Δ | worst Δ (dataset) | datasets > 2 points worse |')
    console.log('|---|---|---|---|')
    for (const m of models.filter((x) => x !== 'nb')) {
      const deltas = common.map((n) => [n, (means.get(m)!.get(n)!.wss95 - means.get('nb')!.get(n)!.wss95) * 100] as const)
      const worst = deltas.reduce((a, b) => (a[1] <= b[1] ? a : b))
      console.log(`| ${m} | ${mean(deltas.map((d) => d[1])).toFixed(1)} | ${worst[1].toFixed(1)} (${worst[0]}) | ${deltas.filter((d) => d[1] < -2).map((d) => d[0]).join(', ') || 'none'} |`)
    }
    console.log('\nLeave-one-dataset-out choice: for each dataset, the model with the best mean WSS@95 on the other datasets among those')
    console.log('no more than 2 points below nb on any of them (the best mean alone if none is)\n')
    console.log('| held-out dataset | chosen model | its WSS@95 | nb WSS@95 |')
    console.log('|---|---|---|---|')
    const lodo: number[] = []
    for (const held of common) {
      const others = common.filter((n) => n !== held)
      const meanOn = (m: string) => mean(others.map((n) => means.get(m)!.get(n)!.wss95))
      const safe = models.filter((m) => others.every((n) => means.get(m)!.get(n)!.wss95 >= means.get('nb')!.get(n)!.wss95 - 0.02))
      const chosen = (safe.length > 0 ? safe : models).reduce((a, b) => (meanOn(a) >= meanOn(b) ? a : b))
      lodo.push(means.get(chosen)!.get(held)!.wss95)
      console.log(`| ${held} | ${chosen} | ${pct(means.get(chosen)!.get(held)!.wss95)} | ${pct(means.get('nb')!.get(held)!.wss95)} |`)
    }
    console.log(`| **mean** | | ${pct(mean(lodo))} | ${pct(mean(common.map((n) => means.get('nb')!.get(n)!.wss95)))} |`)
  }

  const rows = evaluateStoppingRules(lines)
  console.log('\nStopping rules: recall when the rule first says stop, and share of records screened by then (all models, datasets, seeds)\n')
  console.log('| rule | runs | mean recall | runs with recall ≥ 95% | 5th-percentile recall | mean share screened | never stopped |')
  console.log('|---|---|---|---|---|---|---|')
  for (const r of rows) {
    console.log(`| ${r.rule} | ${r.runs} | ${pct(r.meanRecall)} | ${pct(r.shareReaching95)} | ${pct(r.recallP5)} | ${pct(r.meanScreened)} | ${r.neverStopped} |`)
  }
  if (values.evidence) {
    writeFileSync(values.evidence, JSON.stringify(stoppingEvidence(rows, lines), null, 1) + '\n')
    console.log(`\nevidence written to ${values.evidence}`)
  }
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      models: { type: 'string' },
      seeds: { type: 'string' },
      priors: { type: 'string' },
      'fusion-k': { type: 'string' },
      out: { type: 'string', default: path.join(root, 'bench/results/evaluation.jsonl') },
      evidence: { type: 'string' }
    }
  })
  if (positionals[0] === 'run') await run(values)
  else if (positionals[0] === 'report') report(values)
  else { console.error('usage: evaluate-models.ts run|report [options]'); return 2 }
  return 0
}

main().then((code) => { process.exitCode = code }, (error: unknown) => {
  console.error(error instanceof SimulationError ? `error: ${error.message}` : error)
  process.exitCode = error instanceof SimulationError ? 2 : 1
})
