import t from 'tap'
import { existsSync } from 'node:fs'
import type { ExportFormatId } from '../../src/export/index.ts'
import { decisionsFromLabels, parseExportedLabels } from '../../src/export/labels.ts'
import type { ExportItem } from '../../src/export/item.ts'
import { finalDecision, oneLine } from '../../src/export/item.ts'
import { openReferenceFile } from '../../src/references/import.ts'
import { exportAndImport } from '../support/export.ts'
import { emptyRecord } from '../../src/references/model.ts'
import type { ReferenceRecord } from '../../src/references/model.ts'

const DATASETS = new URL('../../../shared/datasets/', import.meta.url)

function record(fields: Partial<ReferenceRecord>): ReferenceRecord {
  return { ...emptyRecord(), ...fields }
}

/** Hand-made records with the characters and types that break writers. */
const handMade: ReferenceRecord[] = [
  record({
    title: 'Costs of 50% & more: C# {braces} $5 ~ x_1 "quoted", naïve β-blockers, p < 0.05 | x > y ^ 2',
    authors: [{ family: 'Müller', given: 'Anna-Lena' }, { family: 'van der Berg', given: 'Jan' }, { family: 'World Health Organization', literal: true }],
    year: 2021, journal: 'Journal of Medical Internet Research', volume: '23', issue: '4', pages: '123-129',
    abstract: 'Background: first line.\nTY  - not a tag\n\nResults: second paragraph.',
    keywords: ['eHealth', 'insomnia'], doi: '10.2196/12345', pmid: '33000001', pmcid: 'PMC7000001',
    notes: ['Imported note', 'AnalyLit decision: exclude (stage: stale)']
  }),
  record({ title: 'A book about screening', type: 'book', authors: [{ family: 'Lee', given: 'Kim' }], year: 2015, publisher: 'Springer', isbn: ['9783161484100'] }),
  record({ title: 'A chapter in it', type: 'chapter', authors: [{ family: 'Okafor', given: 'C.' }], year: 2015, journal: 'A book about screening', pages: '45-60' }),
  record({ title: 'Proceedings paper on alliance', type: 'conference-paper', authors: [{ family: 'Silva', given: 'Ana' }], year: 2019, journal: 'Proceedings of CHI 2019', pages: '1-12' }),
  record({ title: 'A preprint', type: 'preprint', authors: [{ family: 'Zhang', given: 'Wei' }], year: 2024, arxivId: '2401.01234' }),
  record({ title: 'Only a title' })
]

/** Decisions cycling through the cases: final include, two stages ending in exclude, maybe, none. */
function decorate(records: ReferenceRecord[]): ExportItem[] {
  return records.map((r, k): ExportItem => {
    switch (k % 4) {
      case 0: return { record: r, decision: [{ stage: 'title_abstract', decision: 'include' }], tags: ['pilot'] }
      case 1: return {
        record: r,
        decision: [
          { stage: 'title_abstract', decision: 'include', note: 'check the\nmethods' },
          { stage: 'full_text', decision: 'exclude', reason: 'wrong population: adolescents' }
        ],
        tags: ['to discuss', 'batch 2']
      }
      case 2: return { record: r, decision: [{ stage: 'title_abstract', decision: 'maybe', reason: 'unclear design' }] }
      default: return { record: r }
    }
  })
}

const dashes = (pages: string | undefined) => pages?.replace(/\s*[-–—]+\s*/g, '-')
const names = (r: ReferenceRecord) => r.authors.map((a) => (a.literal ? `[${a.family}]` : `${a.family}|${a.given ?? ''}`))

async function loadItems(): Promise<ExportItem[]> {
  const real: ReferenceRecord[] = []
  if (existsSync(DATASETS)) {
    const opened = await openReferenceFile(new URL('exports/analylit-zotero.csl.json', DATASETS).pathname)
    for await (const item of opened.items) {
      if (item.kind === 'record' && real.length < 60) real.push(item.record)
    }
  }
  return decorate([...handMade, ...real])
}

const formats: ExportFormatId[] = ['ris', 'bibtex', 'csl-json', 'csv', 'xlsx']

for (const format of formats) {
  t.test(`${format}: records and labels come back through the project importer`, async (t) => {
    const items = await loadItems()
    const { records, errors, detected } = await exportAndImport(format, items)
    t.equal(detected, format, 'the export is recognised as its format')
    t.same(errors, [])
    t.equal(records.length, items.length)
    const tabular = format === 'csv' || format === 'xlsx'
    items.forEach((item, k) => {
      const sent = item.record
      const back = records[k]
      if (!back) return
      const where = `${format} #${k} "${sent.title?.slice(0, 40)}"`
      t.equal(back.title, sent.title, `${where}: title`)
      t.same(names(back), names(sent), `${where}: authors`)
      t.equal(back.year, sent.year, `${where}: year`)
      t.equal(back.doi, sent.doi, `${where}: DOI`)
      t.equal(back.pmid, sent.pmid, `${where}: PMID`)
      t.equal(back.journal, sent.journal, `${where}: journal`)
      t.equal(dashes(back.pages), dashes(sent.pages), `${where}: pages`)
      t.equal(back.volume, sent.volume, `${where}: volume`)
      t.equal(back.issue, sent.issue, `${where}: issue`)
      t.equal(oneLine(back.abstract ?? ''), oneLine(sent.abstract ?? ''), `${where}: abstract`)
      const keywordsBack = back.keywords.map((k) => k.toLowerCase())
      t.ok(sent.keywords.every((k) => keywordsBack.includes(k.toLowerCase())), `${where}: keywords ${JSON.stringify(sent.keywords)} in ${JSON.stringify(back.keywords)}`)
      const final = finalDecision(item)?.decision
      // label_included carries include (1) and exclude (0) only: "maybe" is an empty cell, as in ASReview.
      const expectedLabel = tabular && final === 'maybe' ? undefined : final
      t.equal(back.label, expectedLabel, `${where}: label`)
      if (!tabular) {
        t.equal(back.pmcid, sent.pmcid, `${where}: PMCID`)
        t.equal(back.arxivId, sent.arxivId, `${where}: arXiv id`)
        const labels = decisionsFromLabels(parseExportedLabels(back.notes.join('\n')))
        const expected = (item.decision ?? []).map((d) => ({
          stage: d.stage, decision: d.decision,
          ...(d.reason ? { reason: oneLine(d.reason) } : {}), ...(d.note ? { note: oneLine(d.note) } : {})
        }))
        t.same(labels.decision, expected, `${where}: decisions`)
        t.same(labels.tags, item.tags ?? [], `${where}: tags`)
        t.ok(sent.notes.filter((n) => !n.startsWith('AnalyLit')).every((n) => back.notes.join('\n').includes(n)), `${where}: own notes kept`)
      }
    })
  })
}
