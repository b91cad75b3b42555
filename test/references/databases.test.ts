import t from 'tap'
import { canonicalDatabase, recordDatabase } from '../../src/references/databases.ts'
import { csvFormat } from '../../src/references/formats/tabular.ts'
import { parseAll, records, textInput } from './support.ts'

t.test('database names in one spelling; reference managers are no database', async (t) => {
  t.equal(canonicalDatabase(' EMBASE '), 'Embase')
  t.equal(canonicalDatabase('Ovid MEDLINE(R) and Epub Ahead of Print'), 'MEDLINE')
  t.equal(canonicalDatabase('NLM'), 'PubMed')
  t.equal(canonicalDatabase('Web of Science Core Collection'), 'Web of Science')
  t.equal(canonicalDatabase('DOI.org (Crossref)'), 'Crossref')
  t.equal(canonicalDatabase('PTSDpubs'), 'PTSDpubs', 'unknown names kept')
  t.equal(canonicalDatabase('  '), undefined)
  t.equal(recordDatabase('EndNote', 'Scopus'), 'Scopus')
  t.equal(recordDatabase('Rayyan', undefined), undefined)
  t.equal(recordDatabase('Embase', 'Scopus'), 'Embase')
  t.equal(recordDatabase(undefined, 'Zotero'), 'Zotero', 'what the user names the import is kept')
})

t.test('tables: a database column, and Scopus naming itself in its Source column', async (t) => {
  const csv = 'Title,Abstract,Database\nA,x,Embase\nB,y,\n'
  t.same(records(await parseAll(csvFormat, textInput(csv, 7))).map((r) => r.sourceDatabase ?? null), ['Embase', null])
  const scopus = 'Title,Abstract,Source title,Source\nC,z,Journal of Tests,Scopus\n'
  t.same(records(await parseAll(csvFormat, textInput(scopus, 7))).map((r) => [r.sourceDatabase, r.journal]), [['Scopus', 'Journal of Tests']])
})
