/**
 * Screening simulation on a labelled CSV (title, abstract, label_included):
 *
 *   npm run simulate -- data.csv [--seeds 5 | 1..15 | 1,3,5..7] [--priors 1,1]
 *                               [--model nb,svm,...] [--every 100] [--retrain-every 1]
 *                               [--svg out.svg] [--json out.json]
 *
 * Prints a recall line every --every records for each seed, then, per model,
 * the mean over seeds as `WSS@95: 83.1`, `WSS@100: …`, `RRF@10: …`, `ATD: …`
 * (percent, one decimal; ATD as a percentage of the records screened); with
 * several models, a table with one row per model. --json is rewritten as each
 * run ends ("complete": false until the last), so an interrupted simulation
 * keeps every run it finished.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { recallCurveSvg } from '../src/screening/recall-svg.ts'
import {
  meanMetrics, parseLabelledCsv, parseModels, parsePriors, parseSeeds, simulateScreening, SimulationError,
  type SeedResult
} from '../src/screening/simulate.ts'
import type { ScreeningMetrics } from '../src/screening/metrics.ts'

const USAGE = 'usage: npm run simulate -- <file.csv> [--seeds 5|1..15|1,3,5..7] [--priors 1,1] [--model nb,logistic,svm,ensemble] ' +
  '[--every N] [--retrain-every N] [--svg out.svg] [--json out.json]'

function positiveInteger(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new SimulationError(`--${name} must be a positive integer (got "${value}")`)
  return n
}

const percent = (v: number) => (v * 100).toFixed(1)

/** Writes a file whole or not at all (a reader never sees half a JSON document). */
export function writeAtomically(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`
  writeFileSync(temporary, text)
  renameSync(temporary, file)
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      seeds: { type: 'string' },
      priors: { type: 'string' },
      model: { type: 'string' },
      every: { type: 'string' },
      'retrain-every': { type: 'string' },
      svg: { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  if (values.help) { console.log(USAGE); return 0 }
  if (positionals.length !== 1) { console.error(USAGE); return 2 }
  const file = positionals[0]
  const models = parseModels(values.model ?? 'nb')
  const seeds = parseSeeds(values.seeds ?? '5')
  const priors = parsePriors(values.priors ?? '1,1')
  const retrainEvery = positiveInteger(values['retrain-every'], 'retrain-every', 1)

  const { records, unlabelled } = parseLabelledCsv(readFileSync(file))
  const relevant = records.filter((r) => r.included).length
  const dataset = path.basename(file)
  console.log(`${dataset}: ${records.length} records, ${relevant} relevant${unlabelled ? `, ${unlabelled} unlabelled rows skipped` : ''}; ` +
    `model ${models.join(', ')}, ${seeds.length} seed(s), priors ${priors.priorIncluded} relevant + ${priors.priorExcluded} irrelevant`)
  const every = positiveInteger(values.every, 'every', Math.max(1, Math.round(records.length / 10)))

  const finished: Record<string, { runs: SeedResult[], mean?: ScreeningMetrics }> = {}
  const save = (complete: boolean) => {
    if (!values.json) return
    for (const entry of Object.values(finished)) if (entry.runs.length > 0) entry.mean = meanMetrics(entry.runs.map((r) => r.metrics))
    writeAtomically(values.json, JSON.stringify({ dataset, records: records.length, relevant, ...priors, seeds, complete, models: finished }) + '\n')
  }
  const means: Array<[string, ScreeningMetrics]> = []
  for (const model of models) {
    finished[model] = { runs: [] }
    const result = await simulateScreening(records, {
      seeds, classifier: model, retrainEvery, ...priors,
      onRun: (run) => { finished[model].runs.push(run); save(false) }
    }, (p) => {
      const allFound = p.found === p.relevant
      // One line every `every` records, and one when the last relevant record is found (the run stops there).
      if (p.screened % every !== 0 && p.screened !== p.total && !allFound) return
      console.log(`${models.length > 1 ? `${model} ` : ''}seed ${p.seed}: ${p.screened}/${p.total} screened (${percent(p.screened / p.total)}%), ` +
        `recall ${percent(p.found / p.relevant)}% (${p.found}/${p.relevant})${allFound ? ' - all relevant records found' : ''}`)
    })
    for (const run of result.runs) {
      const m = run.metrics
      console.log(`${models.length > 1 ? `${model} ` : ''}seed ${run.seed}: WSS@95 ${percent(m.wss95)}, WSS@100 ${percent(m.wss100)}, RRF@10 ${percent(m.rrf10)}, ` +
        `ATD ${percent(m.atd)} (${m.atdRecords.toFixed(1)} records), ${(run.durationMs / 1000).toFixed(1)} s`)
    }
    means.push([model, result.mean])
    if (values.svg) {
      const svgFile = models.length > 1 ? values.svg.replace(/(\.svg)?$/, `-${model}.svg`) : values.svg
      writeFileSync(svgFile, recallCurveSvg(result, { title: `${dataset} — ${model}, ${seeds.length} seed(s)` }))
    }
  }
  save(true)
  if (models.length === 1) {
    const mean = means[0][1]
    console.log(`WSS@95: ${percent(mean.wss95)}`)
    console.log(`WSS@100: ${percent(mean.wss100)}`)
    console.log(`RRF@10: ${percent(mean.rrf10)}`)
    console.log(`ATD: ${percent(mean.atd)}`)
  } else {
    console.log('| model | WSS@95 | WSS@100 | RRF@10 | ATD |')
    console.log('|---|---|---|---|---|')
    for (const [model, m] of means) console.log(`| ${model} | ${percent(m.wss95)} | ${percent(m.wss100)} | ${percent(m.rrf10)} | ${percent(m.atd)} |`)
  }
  return 0
}

main().then((code) => { process.exitCode = code }, (error: unknown) => {
  const code = (error as { code?: string }).code
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    console.error(`error: ${(error as Error).message}\n${USAGE}`)
    process.exitCode = 2
  } else if (error instanceof SimulationError) {
    console.error(`error: ${error.message}`)
    process.exitCode = 2
  } else {
    console.error(error)
    process.exitCode = 1
  }
})
