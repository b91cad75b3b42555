import t from 'tap'
import { mergeRecords } from '../../src/dedup/merge.ts'
import { emptyRecord } from '../../src/references/model.ts'
import type { ReferenceRecord } from '../../src/references/model.ts'

function record(fields: Partial<ReferenceRecord>): ReferenceRecord {
  return { ...emptyRecord(), ...fields }
}

t.test('the primary wins for single values and missing ones are filled from the others', async (t) => {
  const primary = record({ title: 'Primary title', year: 2020, journal: 'J Med Internet Res', pmid: '111', original: { source: 'primary' } })
  const merged = mergeRecords(primary, [
    record({ title: 'Other title', year: 2019, doi: '10.1/x', volume: '3', journal: 'Journal of Medical Internet Research' }),
    record({ doi: '10.1/y', issue: '7', pages: '1-9', pmcid: 'PMC5', url: 'https://example.org', language: 'eng', publisher: 'JMIR' })
  ])
  t.equal(merged.title, 'Primary title')
  t.equal(merged.year, 2020)
  t.equal(merged.journal, 'J Med Internet Res')
  t.equal(merged.pmid, '111')
  t.equal(merged.doi, '10.1/x', 'the first other record that has a value fills the gap')
  t.equal(merged.volume, '3')
  t.equal(merged.issue, '7')
  t.equal(merged.pages, '1-9')
  t.equal(merged.pmcid, 'PMC5')
  t.equal(merged.url, 'https://example.org')
  t.equal(merged.language, 'eng')
  t.equal(merged.publisher, 'JMIR')
  t.same(merged.original, { source: 'primary' })
  t.equal(primary.doi, undefined, 'the inputs are not modified')
})

t.test('empty strings count as missing', async (t) => {
  const merged = mergeRecords(record({ title: '  ', journal: '' }), [record({ title: 'Real title', journal: 'BMJ' })])
  t.equal(merged.title, 'Real title')
  t.equal(merged.journal, 'BMJ')
})

t.test('list fields are unioned without duplicates, first spelling kept', async (t) => {
  const merged = mergeRecords(
    record({ keywords: ['Insomnia', 'CBT'], mesh: ['Sleep Initiation and Maintenance Disorders'], notes: ['read'], attachments: ['a.pdf'], issn: ['1438-8871'] }),
    [
      record({ keywords: ['insomnia', 'eHealth'], mesh: ['Humans'], notes: ['read', 'check dosage'], attachments: ['a.pdf', 'b.pdf'], issn: ['14388871', '1439-4456'], isbn: ['978-3-16-148410-0'] }),
      record({ keywords: [' CBT '], isbn: ['9783161484100'] })
    ]
  )
  t.same(merged.keywords, ['Insomnia', 'CBT', 'eHealth'])
  t.same(merged.mesh, ['Sleep Initiation and Maintenance Disorders', 'Humans'])
  t.same(merged.notes, ['read', 'check dosage'])
  t.same(merged.attachments, ['a.pdf', 'b.pdf'])
  t.same(merged.issn, ['1438-8871', '1439-4456'])
  t.same(merged.isbn, ['978-3-16-148410-0'])
})

t.test('the longest abstract wins', async (t) => {
  const merged = mergeRecords(record({ abstract: 'Short.' }), [record({ abstract: 'A much longer abstract with results.' }), record({})])
  t.equal(merged.abstract, 'A much longer abstract with results.')
  t.equal(mergeRecords(record({ abstract: 'Kept because longest.' }), [record({ abstract: 'Short' })]).abstract, 'Kept because longest.')
})

t.test('authors come from the fullest list and keep ORCIDs known elsewhere', async (t) => {
  const initials = [{ family: 'Smith', given: 'J. A.' }, { family: 'Okafor', given: 'C.' }]
  const full = [{ family: 'Smith', given: 'Jane Anne' }, { family: 'Okafor', given: 'Chinedu', orcid: '0000-0001-2345-6789' }]
  const longer = [...initials, { family: 'Lee', given: 'K.' }]
  t.same(mergeRecords(record({ authors: initials }), [record({ authors: full })]).authors, full, 'full given names beat initials')
  const merged = mergeRecords(record({ authors: initials }), [record({ authors: full }), record({ authors: longer })])
  t.same(merged.authors.map((a) => a.family), ['Smith', 'Okafor', 'Lee'], 'more authors beat fuller names')
  t.equal(merged.authors[1].orcid, '0000-0001-2345-6789')
  t.same(mergeRecords(record({ authors: full }), [record({ authors: [] })]).authors, full)
})

t.test('a specific type replaces "other" and a label is kept', async (t) => {
  const merged = mergeRecords(record({ type: 'other' }), [record({ type: 'article', label: 'include' })])
  t.equal(merged.type, 'article')
  t.equal(merged.label, 'include')
  t.equal(mergeRecords(record({ type: 'review' }), [record({ type: 'article' })]).type, 'review')
})
