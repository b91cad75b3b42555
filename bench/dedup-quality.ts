/**
 * Accuracy of duplicate detection on real and realistically corrupted data.
 *
 *   npx tsx bench/dedup-quality.ts [--verbose]
 *
 * Sets:
 *  (a) Kitchenham 2010 as published (1,704 records; `duplicate_record_id`
 *      marks the known duplicates; title, abstract and year only);
 *  (b) Kitchenham, Cohen 2006 (13 reviews, merged by PMID) and the
 *      reference-manager exports in exports/ (CSL-JSON and RIS), each with
 *      seeded corrupted duplicates and look-alike non-duplicates made by
 *      test/support/dedup-corrupt.ts (hard negatives included: a meeting
 *      abstract of an article, one abstract at two meetings, one title
 *      under two DOIs);
 *  (c) the hand-labelled exports (test/dedup/fixtures/export-labels.json),
 *      reported only: no threshold was tuned on them.
 *
 * Figures (defined in test/support/dedup-evaluate.ts): record-level sensitivity and
 * specificity as ASySD and DedupEndNote report them — sensitivity: share of
 * the duplicate records removed in favour of a true duplicate; specificity:
 * share of the distinct studies not wrongly removed. Target: sensitivity
 * >= 0.95 at specificity >= 0.99. Pairwise sensitivity, precision and
 * specificity are printed too.
 */

import { readFileSync, existsSync } from 'node:fs'
import { parse } from 'csv-parse/sync'
import { findDuplicateClusters } from '../src/dedup/cluster.ts'
import type { DedupItem, DedupResult } from '../src/dedup/cluster.ts'
import { buildCorruptedSet } from '../test/support/dedup-corrupt.ts'
import { evaluateDedup } from '../test/support/dedup-evaluate.ts'
import { loadLabelledExports } from '../test/support/dedup-exports.ts'
import { normalizeTitle } from '../src/dedup/normalize.ts'
import { emptyRecord } from '../src/references/model.ts'
import type { Author, ReferenceRecord } from '../src/references/model.ts'
import { normalizeDoi, normalizePmcid, normalizePmid, parseYear } from '../src/references/identifiers.ts'

const DATASETS = new URL('../../shared/datasets/', import.meta.url)
const verbose = process.argv.includes('--verbose')

function readCsv(name: string): Array<Record<string, string>> {
  return parse(readFileSync(new URL(name, DATASETS)), { columns: true, skip_empty_lines: true, relax_quotes: true }) as Array<Record<string, string>>
}

function loadKitchenham(): Array<{ id: string; duplicateOf?: string; record: ReferenceRecord }> {
  return readCsv('screening/Kitchenham_2010.csv').map((row) => {
    const record = emptyRecord()
    if (row.title) record.title = row.title
    if (row.abstract) record.abstract = row.abstract
    record.year = parseYear(row.year)
    return { id: row.record_id, duplicateOf: row.duplicate_record_id || undefined, record }
  })
}

/** "E J Reimer; G S Dunn" (initials first) as authors. */
function cohenAuthors(text: string): Author[] {
  return text.split(/;\s*/).filter((name) => name.trim().length > 0).map((name) => {
    const words = name.trim().split(/\s+/)
    let k = 0
    while (k < words.length - 1 && /^[A-Z]{1,3}$/.test(words[k])) k++
    return k > 0 ? { family: words.slice(k).join(' '), given: words.slice(0, k).join(' ') } : { family: words.join(' ') }
  })
}

function loadCohen(): ReferenceRecord[] {
  const reviews = ['ACEInhibitors', 'ADHD', 'Antihistamines', 'AtypicalAntipsychotics', 'BetaBlockers', 'CalciumChannelBlockers',
    'Estrogens', 'NSAIDS', 'Opiods', 'OralHypoglycemics', 'ProtonPumpInhibitors', 'SkeletalMuscleRelaxants', 'Statins',
    'Triptans', 'UrinaryIncontinence']
  const byPmid = new Map<string, ReferenceRecord>()
  for (const review of reviews) {
    const path = new URL(`screening/Cohen_2006/${review}.csv`, DATASETS)
    if (!existsSync(path)) continue
    for (const row of readCsv(`screening/Cohen_2006/${review}.csv`)) {
      const pmid = normalizePmid(row.pubmedID)
      if (!pmid || byPmid.has(pmid) || !row.title) continue
      const record = emptyRecord()
      record.title = row.title
      if (row.abstract) record.abstract = row.abstract
      record.authors = cohenAuthors(row.authors ?? '')
      record.year = parseYear(row.year)
      record.pmid = pmid
      byPmid.set(pmid, record)
    }
  }
  return [...byPmid.values()]
}

interface CslItem {
  title?: string
  abstract?: string
  author?: Array<{ family?: string; given?: string; literal?: string }>
  issued?: { 'date-parts'?: Array<Array<number | string>> }
  'container-title'?: string
  'container-title-short'?: string
  volume?: string | number
  issue?: string | number
  page?: string
  DOI?: string
  PMID?: string
  PMCID?: string
}

function cslToRecord(item: CslItem): ReferenceRecord {
  const record = emptyRecord()
  record.title = item.title
  record.abstract = item.abstract
  record.authors = (item.author ?? []).map((a) => (a.literal ? { family: a.literal, literal: true } : { family: a.family ?? '', given: a.given }))
  record.year = parseYear(item.issued?.['date-parts']?.[0]?.[0])
  record.journal = item['container-title']
  record.journalAbbrev = item['container-title-short']
  record.volume = item.volume !== undefined ? String(item.volume) : undefined
  record.issue = item.issue !== undefined ? String(item.issue) : undefined
  record.pages = item.page
  record.doi = normalizeDoi(item.DOI)
  record.pmid = normalizePmid(item.PMID)
  record.pmcid = normalizePmcid(item.PMCID)
  return record
}

async function loadExports(): Promise<ReferenceRecord[]> {
  const records: ReferenceRecord[] = []
  for (const name of ['analylit-zotero.csl.json', 'analylit-20atn.csl.json']) {
    const items = JSON.parse(readFileSync(new URL(`exports/${name}`, DATASETS), 'utf8')) as CslItem[]
    records.push(...items.map(cslToRecord))
  }
  try {
    const { parseRis } = await import('../src/references/formats/ris.ts')
    for (const name of ['baseline_zotero.ris', 'ris_issue_992.txt', 'scopus.ris', 'embase.ris', 'ovid_psycinfo.ris', 'proquest.ris',
      'pubmed_zotero.ris', 'pubmed_endnote.txt']) {
      const text = readFileSync(new URL(`exports/${name}`, DATASETS), 'utf8')
      const input = {
        async* text() { yield text },
        async* bytes() { yield new TextEncoder().encode(text) }
      }
      for await (const item of parseRis(input)) if (item.kind === 'record') records.push(item.record)
    }
  } catch (error) {
    console.log(`(RIS exports skipped: ${(error as Error).message})`)
  }
  // The files share records (the same library exported twice): keep one per title or DOI.
  const seen = new Set<string>()
  return records.filter((record) => {
    const key = normalizeTitle(record.title)
    if (!key || seen.has(key) || (record.doi && seen.has(record.doi))) return false
    seen.add(key)
    if (record.doi) seen.add(record.doi)
    return true
  })
}

function timed(items: DedupItem[]): { result: DedupResult; ms: number } {
  const start = performance.now()
  const result = findDuplicateClusters(items)
  return { result, ms: performance.now() - start }
}

const rows: Array<Record<string, string | number>> = []

function report(name: string, items: DedupItem[], truth: Map<string, string>, extra = ''): void {
  const { result, ms } = timed(items)
  const evaluation = evaluateDedup(truth, result.clusters)
  const r = evaluation.recordLevel
  const p = evaluation.pairwise
  rows.push({
    set: name,
    records: evaluation.records,
    studies: evaluation.distinctStudies,
    'dup records': r.truePositives + r.falseNegatives,
    TP: r.truePositives,
    FN: r.falseNegatives,
    FP: r.falsePositives,
    sensitivity: r.sensitivity.toFixed(4),
    specificity: r.specificity.toFixed(4),
    'pair sens': p.sensitivity.toFixed(4),
    'pair prec': p.precision.toFixed(4),
    'pair spec': p.specificity.toFixed(6),
    comparisons: result.comparisons,
    ms: Math.round(ms)
  })
  if (extra) console.log(`${name}: ${extra}`)
  if (!verbose) return
  const byId = new Map(items.map((item) => [item.id, item.record]))
  const clusterOf = new Map<string, string>()
  for (const cluster of result.clusters) for (const id of cluster.memberIds) clusterOf.set(id, cluster.primaryId)
  for (const cluster of result.clusters) {
    const labels = new Set(cluster.memberIds.map((id) => truth.get(id)))
    if (labels.size > 1) {
      console.log(`  FALSE MERGE ${cluster.links.map((l) => l.evidence.join(', ')).join(' | ')}`)
      for (const id of cluster.memberIds) console.log(`     [${truth.get(id)}] ${byId.get(id)!.year} ${byId.get(id)!.authors[0]?.family ?? ''} | ${byId.get(id)!.title}`)
    }
  }
  const groups = new Map<string, string[]>()
  for (const [id, label] of truth) groups.set(label, [...(groups.get(label) ?? []), id])
  for (const ids of groups.values()) {
    if (ids.length < 2) continue
    const primaries = new Set(ids.map((id) => clusterOf.get(id) ?? id))
    if (primaries.size > 1) {
      console.log('  MISSED')
      for (const id of ids) {
        const rec = byId.get(id)!
        console.log(`     ${rec.year} ${rec.authors[0]?.family ?? ''} ${rec.journal ?? ''} ${rec.pages ?? ''} | ${rec.title}`)
      }
    }
  }
}

if (!existsSync(DATASETS)) {
  console.log('datasets folder missing: nothing to measure')
  process.exit(0)
}

// (a) Kitchenham as published.
const kitchenham = loadKitchenham()
{
  const truth = new Map<string, string>()
  for (const row of kitchenham) truth.set(row.id, row.duplicateOf ?? row.id)
  // duplicate_record_id may point at a record that itself points elsewhere; follow the chain.
  for (const [id, label] of truth) {
    let root = label
    for (let hops = 0; hops < 10 && truth.get(root) !== root && truth.get(root) !== undefined; hops++) root = truth.get(root)!
    truth.set(id, root)
  }
  report('Kitchenham (published labels)', kitchenham.map(({ id, record }) => ({ id, record })), truth)
}

// (b) Corrupted sets.
const kitchenhamBases = kitchenham.filter((row) => !row.duplicateOf).map((row) => row.record)
for (const seed of [11, 12]) {
  const set = buildCorruptedSet(kitchenhamBases, { seed })
  report(`Kitchenham corrupted (seed ${seed})`, set.items, set.truth, `${set.duplicates} duplicates, look-alikes ${JSON.stringify(set.lookalikes)}`)
}
const cohen = loadCohen()
for (const seed of [21, 22]) {
  const set = buildCorruptedSet(cohen, { seed })
  report(`Cohen 2006 corrupted (seed ${seed})`, set.items, set.truth, `${set.duplicates} duplicates, look-alikes ${JSON.stringify(set.lookalikes)}`)
}
const exportsBases = await loadExports()
for (const seed of [31, 32, 33]) {
  const set = buildCorruptedSet(exportsBases, { seed, duplicateRate: 0.5, lookalikeRate: 0.25 })
  report(`Exports (CSL+RIS) corrupted (seed ${seed})`, set.items, set.truth, `${set.duplicates} duplicates, look-alikes ${JSON.stringify(set.lookalikes)}`)
}

// (c) The hand-labelled exports (test/dedup/fixtures/export-labels.json): reported, never tuned on.
{
  const { items, truth } = await loadLabelledExports()
  report('Exports, hand-labelled (real duplicates and hard negatives)', items, truth)
}

console.table(rows)
