/**
 * Screening simulation on a labelled CSV (title, abstract, label_included):
 *
 *   npm run simulate -- data.csv [--seeds 5] [--model nb|logistic] [--every 100]
 *                               [--retrain-every 1] [--svg out.svg] [--json out.json]
 *
 * Prints a recall line every --every records for each seed, then the mean
 * over seeds as `WSS@95: 83.1`, `WSS@100: …`, `RRF@10: …`, `ATD: …` (percent,
 * one decimal; ATD as a percentage of the records screened).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { recallCurveSvg } from '../src/screening/recall-svg.ts'
import { parseLabelledCsv, simulateScreening, SimulationError } from '../src/screening/simulate.ts'
import type { ClassifierName } from '../src/screening/models.ts'

const USAGE = 'usage: npm run simulate -- <file.csv> [--seeds 5] [--model nb|logistic] [--every N] [--retrain-every N] [--svg out.svg] [--json out.json]'

function positiveInteger(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new SimulationError(`--${name} must be a positive integer (got "${value}")`)
  return n
}

const percent = (v: number) => (v * 100).toFixed(1)

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      seeds: { type: 'string' },
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
  const model = (values.model ?? 'nb') as ClassifierName
  if (model !== 'nb' && model !== 'logistic') throw new SimulationError(`--model must be nb or logistic (got "${values.model}")`)
  const seeds = positiveInteger(values.seeds, 'seeds', 5)
  const retrainEvery = positiveInteger(values['retrain-every'], 'retrain-every', 1)

  const { records, unlabelled } = parseLabelledCsv(readFileSync(file))
  const relevant = records.filter((r) => r.included).length
  console.log(`${path.basename(file)}: ${records.length} records, ${relevant} relevant${unlabelled ? `, ${unlabelled} unlabelled rows skipped` : ''}; model ${model}, ${seeds} seed(s)`)
  const every = positiveInteger(values.every, 'every', Math.max(1, Math.round(records.length / 10)))

  const result = await simulateScreening(records, { seeds, classifier: model, retrainEvery }, (p) => {
    const allFound = p.found === p.relevant
    // One line every `every` records, and one when the last relevant record is found (the run stops there).
    if (p.screened % every !== 0 && p.screened !== p.total && !allFound) return
    console.log(`seed ${p.seed}: ${p.screened}/${p.total} screened (${percent(p.screened / p.total)}%), ` +
      `recall ${percent(p.found / p.relevant)}% (${p.found}/${p.relevant})${allFound ? ' - all relevant records found' : ''}`)
  })
  for (const run of result.runs) {
    const m = run.metrics
    console.log(`seed ${run.seed}: WSS@95 ${percent(m.wss95)}, WSS@100 ${percent(m.wss100)}, RRF@10 ${percent(m.rrf10)}, ATD ${percent(m.atd)} (${m.atdRecords.toFixed(1)} records), ${(run.durationMs / 1000).toFixed(1)} s`)
  }
  console.log(`WSS@95: ${percent(result.mean.wss95)}`)
  console.log(`WSS@100: ${percent(result.mean.wss100)}`)
  console.log(`RRF@10: ${percent(result.mean.rrf10)}`)
  console.log(`ATD: ${percent(result.mean.atd)}`)

  if (values.svg) {
    writeFileSync(values.svg, recallCurveSvg(result, { title: `${path.basename(file)} — ${model}, ${seeds} seed(s)` }))
  }
  if (values.json) {
    writeFileSync(values.json, JSON.stringify({ dataset: path.basename(file), ...result }, null, 1) + '\n')
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
