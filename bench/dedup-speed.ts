/**
 * Speed of duplicate detection on 100,000 records (target: under 10 s).
 *
 *   npx tsx bench/dedup-speed.ts [records]
 *
 * Records are made from real titles (Cohen 2006, Kitchenham 2010): each
 * distinct record joins a run of 3-8 words of one real title to a run of
 * another,
 * with real author lists and journal names, a random year, volume and
 * pages; ~10% of the records are corrupted duplicates of others
 * (test/support/dedup-corrupt.ts). Prints the time, comparisons, clusters found,
 * their accuracy and the peak RSS.
 */

import { readFileSync, existsSync } from 'node:fs'
import { parse } from 'csv-parse/sync'
import { findDuplicateClusters } from '../src/dedup/cluster.ts'
import type { DedupItem } from '../src/dedup/cluster.ts'
import { corruptDuplicate, seededRandom } from '../test/support/dedup-corrupt.ts'
import { evaluateDedup } from '../test/support/dedup-evaluate.ts'
import { emptyRecord } from '../src/references/model.ts'
import type { Author, ReferenceRecord } from '../src/references/model.ts'

const DATASETS = new URL('../../shared/datasets/', import.meta.url)
const total = Number(process.argv[2] ?? 100_000)

if (!existsSync(DATASETS)) {
  console.log('datasets folder missing: nothing to measure')
  process.exit(0)
}

const titles: string[] = []
const authorLists: Author[][] = []
const files = ['screening/Kitchenham_2010.csv', ...['ADHD', 'Antihistamines', 'AtypicalAntipsychotics', 'BetaBlockers',
  'CalciumChannelBlockers', 'Estrogens', 'NSAIDS', 'Opiods', 'OralHypoglycemics', 'ProtonPumpInhibitors',
  'SkeletalMuscleRelaxants', 'Triptans', 'UrinaryIncontinence'].map((name) => `screening/Cohen_2006/${name}.csv`)]
for (const file of files) {
  const rows = parse(readFileSync(new URL(file, DATASETS)), { columns: true, skip_empty_lines: true, relax_quotes: true }) as Array<Record<string, string>>
  for (const row of rows) {
    if (row.title) titles.push(row.title.replace(/\s+/g, ' ').trim())
    if (row.authors) {
      authorLists.push(row.authors.split(/;\s*/).filter(Boolean).map((name) => {
        const words = name.trim().split(/\s+/)
        return { family: words[words.length - 1], given: words.slice(0, -1).join(' ') }
      }))
    }
  }
}
const journals = [...new Set((JSON.parse(readFileSync(new URL('exports/analylit-zotero.csl.json', DATASETS), 'utf8')) as Array<{ 'container-title'?: string }>)
  .map((item) => item['container-title']).filter((j): j is string => Boolean(j)))]

const random = seededRandom(2024)
const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]
const distinctCount = Math.round(total / 1.1)
const items: DedupItem[] = []
const truth = new Map<string, string>()
const bases: ReferenceRecord[] = []
const usedTitles = new Set<string>()
while (bases.length < distinctCount) {
  // A run of words from one real title followed by a run from another,
  // each starting anywhere: the vocabulary and word sequences are real,
  // and no title start is repeated more often than in real data.
  const slice = (words: string[]): string[] => {
    const from = Math.floor(random() * Math.max(1, words.length - 3))
    return words.slice(from, from + 3 + Math.floor(random() * 6))
  }
  const title = [...slice(pick(titles).split(' ')), ...slice(pick(titles).split(' '))].join(' ')
  if (usedTitles.has(title)) continue
  usedTitles.add(title)
  const record = emptyRecord()
  record.title = title
  record.authors = pick(authorLists)
  record.year = 1990 + Math.floor(random() * 35)
  record.journal = pick(journals)
  record.volume = String(1 + Math.floor(random() * 60))
  const first = 1 + Math.floor(random() * 2000)
  record.pages = `${first}-${first + 2 + Math.floor(random() * 20)}`
  bases.push(record)
}
bases.forEach((record, k) => {
  items.push({ id: `b${k}`, record })
  truth.set(`b${k}`, `s${k}`)
})
for (let k = 0; items.length < total; k++) {
  const base = Math.floor(random() * bases.length)
  items.push({ id: `d${k}`, record: corruptDuplicate(bases[base], random) })
  truth.set(`d${k}`, `s${base}`)
}

const rssBefore = process.memoryUsage().rss
const start = performance.now()
const cpuBefore = process.cpuUsage()
const result = findDuplicateClusters(items)
const cpu = process.cpuUsage(cpuBefore)
const seconds = (performance.now() - start) / 1000
const evaluation = evaluateDedup(truth, result.clusters)
console.log(`records:      ${items.length} (${items.length - bases.length} duplicates)`)
console.log(`time:         ${seconds.toFixed(2)} s wall (target < 10 s), ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU`)
console.log(`comparisons:  ${result.comparisons} (${(result.comparisons / items.length).toFixed(1)} per record)`)
console.log(`clusters:     ${result.clusters.length}`)
console.log(`sensitivity:  ${evaluation.recordLevel.sensitivity.toFixed(4)}  specificity: ${evaluation.recordLevel.specificity.toFixed(4)}`)
console.log(`RSS:          ${(rssBefore / 1e6).toFixed(0)} MB before, peak ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`)
