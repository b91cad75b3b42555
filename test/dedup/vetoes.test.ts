import t from 'tap'
import { findDuplicateClusters } from '../../src/dedup/cluster.ts'
import type { DedupResult } from '../../src/dedup/cluster.ts'
import { emptyRecord } from '../../src/references/model.ts'
import type { ReferenceRecord } from '../../src/references/model.ts'

// Every pair below was merged before the contradictions could veto a link:
// an identical title of eight or more words outweighed the rest.

function record(fields: Partial<ReferenceRecord>): ReferenceRecord {
  return { ...emptyRecord(), ...fields }
}

function cluster(...records: ReferenceRecord[]): DedupResult {
  return findDuplicateClusters(records.map((record, k) => ({ id: String(k + 1), record })))
}

function groups(result: DedupResult): string[][] {
  return result.clusters.map((c) => [...c.memberIds].sort())
}

const title = 'Continuous glucose monitoring in adolescents with type 1 diabetes: a multicentre randomised trial'
const authors = [{ family: 'Lewis', given: 'G. F.' }, { family: 'van Duyvenvoorde', given: 'W.' }]

t.test('two different valid DOIs never merge', async (t) => {
  const result = cluster(
    record({ title, authors, year: 2020, journal: 'Diabetes Care', doi: '10.2337/dc20-0001' }),
    record({ title, authors, year: 2020, journal: 'Pediatric Diabetes', doi: '10.1111/pedi.13001' })
  )
  t.same(groups(result), [])
})

t.test('the same DOI spelt differently, or a DOI on one record only, still merges', async (t) => {
  const result = cluster(
    record({ title, authors, year: 2020, journal: 'Diabetes Care', doi: '10.2337/DC20-0001' }),
    record({ title, authors, year: 2020, journal: 'Diabetes Care', doi: 'https://doi.org/10.2337/dc20-0001' }),
    record({ title, authors, year: 2020, journal: 'Diabetes Care' })
  )
  t.same(groups(result), [['1', '2', '3']])
})

t.test('a third record without a DOI does not join two records with different DOIs', async (t) => {
  const result = cluster(
    record({ title, authors, year: 2020, journal: 'Diabetes Care', doi: '10.2337/dc20-0001' }),
    record({ title, authors, year: 2020 }),
    record({ title, authors, year: 2020, journal: 'Pediatric Diabetes', doi: '10.1111/pedi.13001' })
  )
  for (const members of groups(result)) t.notOk(members.includes('1') && members.includes('3'), 'the two DOIs stay apart')
})

t.test('a preprint and its published article are related, not merged', async (t) => {
  const result = cluster(
    record({ title, authors, year: 2020, journal: 'medRxiv', doi: '10.1101/2020.03.01.20029983' }),
    record({ title, authors, year: 2020, journal: 'Diabetes Care', doi: '10.2337/dc20-0001' })
  )
  t.same(groups(result), [])
  t.same(result.relatedPairs.map((p) => [p.a, p.b, p.why]), [['1', '2', 'a preprint and its published version']])
})

t.test('a conference abstract never merges with the full article', async (t) => {
  const result = cluster(
    record({ title, authors, year: 2019, journal: 'Diabetes', volume: '68', pages: 'S123', type: 'conference-paper' }),
    record({ title, authors, year: 2020, journal: 'Diabetes', volume: '69', pages: '1200-1210' }),
    // Supplement pages alone mark an abstract, and so does a meeting's name as the venue.
    record({ title, authors, year: 2020, journal: 'Diabetes', volume: '69', pages: 'S45-S46' }),
    record({ title, authors, year: 2020, journal: 'Annual Meeting of the American Diabetes Association' })
  )
  for (const members of groups(result)) t.notOk(members.includes('2'), 'the article stands alone')
})

t.test('abstracts with one title from two meetings do not merge; from one meeting they do', async (t) => {
  const meetingA = 'Annual Meeting of the European Association for the Study of Diabetes'
  const meetingB = 'Scientific Sessions of the American Diabetes Association Congress'
  const result = cluster(
    record({ title, authors, year: 2018, journal: meetingA, type: 'conference-paper' }),
    record({ title, authors, year: 2019, journal: meetingB, type: 'conference-paper' }),
    record({ title, authors, year: 2019, journal: meetingA, type: 'conference-paper' }),
    record({ title, authors, year: 2018, journal: meetingA, type: 'conference-paper', pages: '12' })
  )
  t.same(groups(result), [['1', '4']])
})

t.test('same-title records whose venue, year, volume and pages all differ do not merge', async (t) => {
  const abstract = 'Background: adolescents with type 1 diabetes rarely reach glycaemic targets. '.repeat(4) +
    'Methods: we randomised 300 adolescents in twelve centres to continuous or intermittent glucose monitoring for a year.'
  const result = cluster(
    record({ title, authors, abstract, year: 2015, journal: 'Diabetes Care', volume: '38', pages: '100-108' }),
    record({ title, authors, abstract, year: 2016, journal: 'Pediatric Diabetes', volume: '17', pages: '5-13' })
  )
  t.same(groups(result), [])
})
