import t from 'tap'
import { DuplicateFinder, findDuplicateClusters } from '../../src/dedup/cluster.ts'
import type { DedupItem, DedupResult } from '../../src/dedup/cluster.ts'
import { emptyRecord } from '../../src/references/model.ts'
import type { ReferenceRecord } from '../../src/references/model.ts'

function record(fields: Partial<ReferenceRecord>): ReferenceRecord {
  return { ...emptyRecord(), ...fields }
}

function items(...records: ReferenceRecord[]): DedupItem[] {
  return records.map((r, k) => ({ id: String(k + 1), record: r }))
}

/** Clusters as sorted lists of member ids, for order-independent comparison. */
function groups(result: DedupResult): string[][] {
  return result.clusters.map((c) => [...c.memberIds].sort()).sort((a, b) => a[0].localeCompare(b[0]))
}

const smith = [{ family: 'Smith', given: 'Jane A.' }, { family: 'Okafor', given: 'Chinedu' }]
const article = record({
  title: 'Effectiveness of internet-delivered cognitive behavioural therapy for insomnia: a randomised controlled trial',
  authors: smith,
  year: 2019,
  journal: 'Journal of Medical Internet Research',
  volume: '21',
  issue: '4',
  pages: '123-129',
  doi: '10.2196/12345'
})

t.test('records sharing a DOI, PMID, PMCID or arXiv id are linked whatever the identifier spelling', async (t) => {
  const result = findDuplicateClusters(items(
    record({ title: 'A', doi: '10.1000/ABC' }),
    record({ title: 'A.', doi: '10.1000/abc' }),
    record({ title: 'B trial of things', pmid: '123' }),
    record({ title: 'B trial of things', pmid: '123', pmcid: 'PMC9' }),
    record({ title: 'B trial of things (preprint)', pmcid: 'PMC9' }),
    record({ title: 'C', arxivId: '2101.00001' }),
    record({ title: 'C', arxivId: '2101.00001' }),
    record({ title: 'D', doi: '10.1000/other' })
  ))
  t.same(groups(result), [['1', '2'], ['3', '4', '5'], ['6', '7']])
  t.same(result.clusters.find((c) => c.memberIds.includes('1'))!.reasons, ['doi'])
})

t.test('a DOI shared by book chapters or by an article and its erratum does not link them', async (t) => {
  const result = findDuplicateClusters(items(
    record({ title: 'Handbook of digital mental health', doi: '10.1007/978-3-030-00000-0', type: 'book' }),
    record({ title: 'Chapter 3: Measuring the therapeutic alliance online', doi: '10.1007/978-3-030-00000-0', pages: '45-60', type: 'chapter' }),
    record({ title: 'Chapter 4: Ethics of conversational agents', doi: '10.1007/978-3-030-00000-0', pages: '61-80', type: 'chapter' }),
    record({ ...article }),
    record({ ...article, title: `Erratum: ${article.title}`, pages: '300' })
  ))
  t.same(result.clusters, [])
  t.ok(result.sharedIdentifierConflicts.length >= 3)
  t.ok(result.sharedIdentifierConflicts.some((c) => c.why.includes('erratum')))
  t.ok(result.sharedIdentifierConflicts.every((c) => c.identifier === 'doi'))
})

t.test('a shared DOI with a translated title still links when author, year and first page agree', async (t) => {
  const result = findDuplicateClusters(items(
    record({ ...article }),
    record({ ...article, title: 'Efficacité de la thérapie cognitivo-comportementale en ligne pour l’insomnie', pages: '123' })
  ))
  t.same(groups(result), [['1', '2']])
})

t.test('the same article as different databases deliver it is one cluster', async (t) => {
  const variants = [
    article,
    record({ ...article, doi: undefined, title: article.title!.toUpperCase(), journal: 'J Med Internet Res', pages: '123-9' }),
    record({
      ...article, doi: undefined, year: 2020, title: 'Effectiveness of Internet-Delivered Cognitive Behavioral Therapy for Insomnia - A Randomized Controlled Trial.',
      authors: [{ family: 'Smith', given: 'J. A.' }, { family: 'Okafor', given: 'C.' }]
    }),
    record({
      ...article, doi: undefined, title: 'Effectiveness of internet&#8211;delivered cognitive behavioural therapy for <i>insomnia</i>: a randomised controlled trial',
      authors: [{ family: 'Smith JA' }], journal: undefined
    })
  ]
  const result = findDuplicateClusters(items(...variants))
  t.same(groups(result), [['1', '2', '3', '4']])
  t.equal(result.clusters[0].primaryId, '1', 'the record with a DOI is the most complete')
  t.ok(result.clusters[0].score >= 0.5 && result.clusters[0].score <= 1)
  t.ok(result.clusters[0].links.every((l) => l.evidence.length > 0))
})

t.test('look-alike records that are different papers stay apart', async (t) => {
  const result = findDuplicateClusters(items(
    article,
    // Same first author and year, another paper.
    record({ ...article, doi: undefined, title: 'Sleep diaries and actigraphy in adults with chronic insomnia', pages: '200-210' }),
    // Conference version under another title.
    record({
      ...article, doi: undefined, type: 'conference-paper', year: 2018, journal: 'Proceedings of the Sleep Conference',
      title: 'Internet-delivered CBT for insomnia: preliminary results of a pilot', pages: '11-12'
    }),
    // Companion papers.
    record({ ...article, doi: undefined, title: `${article.title}: Part 2`, pages: '130-139' }),
    // An erratum repeating the title.
    record({ ...article, doi: undefined, title: `Erratum: ${article.title}`, year: 2020, pages: '400' }),
    // Same title, other authors, years later.
    record({
      ...article, doi: undefined, authors: [{ family: 'Nguyen', given: 'Thi' }], year: 2024, journal: 'Sleep Medicine', pages: '5-9', volume: '90'
    })
  ))
  t.same(result.clusters, [])
})

t.test('records without authors are matched on title and year', async (t) => {
  const title = 'Aggregation process with multiple evidence levels for experimental studies in software engineering'
  const result = findDuplicateClusters(items(
    record({ title, year: 2007 }),
    record({ title: title.toUpperCase(), year: 2007 }),
    record({ title: 'Service engineering methodology', year: 2005 }),
    record({ title: 'Service Engineering Methodology.', year: 2005 }),
    record({ title: 'Editorial', year: 2005 }),
    record({ title: 'Editorial', year: 2005 })
  ))
  t.same(groups(result), [['1', '2'], ['3', '4']], 'generic titles such as "Editorial" are not enough')
})

t.test('a pair marked not-duplicate is never merged, not even through other records', async (t) => {
  const chain = items(
    record({ ...article }),
    record({ ...article, doi: undefined, title: article.title!.toLowerCase() }),
    record({ ...article, doi: undefined, journal: 'J Med Internet Res' })
  )
  t.same(groups(findDuplicateClusters(chain)), [['1', '2', '3']])
  const result = findDuplicateClusters(chain, { notDuplicatePairs: [['1', '3']] })
  t.ok(groups(result).every((g) => !(g.includes('1') && g.includes('3'))), 'records 1 and 3 are never together')
  t.equal(groups(result).length, 1, 'record 2 still joins one of them')
  t.equal(groups(result)[0].length, 2)
})

t.test('confirmed clusters stay together and split records stay alone', async (t) => {
  const result = findDuplicateClusters(items(
    record({ title: 'Completely different title one', year: 2001 }),
    record({ title: 'Nothing alike here at all', year: 2015 }),
    record({ ...article }),
    record({ ...article, doi: undefined })
  ), { confirmedClusters: [['1', '2']] })
  t.same(groups(result), [['1', '2'], ['3', '4']])
  t.same(result.clusters.find((c) => c.memberIds.includes('1'))!.reasons, ['manual'])

  const split = findDuplicateClusters(items(record({ ...article }), record({ ...article, doi: undefined })), { splitIds: ['2'] })
  t.same(split.clusters, [])
  const confirmedWins = findDuplicateClusters(items(record({ ...article }), record({ ...article, doi: undefined })), {
    splitIds: ['2'], confirmedClusters: [['1', '2']]
  })
  t.same(groups(confirmedWins), [['1', '2']])
  const notDuplicateWins = findDuplicateClusters(items(record({ ...article }), record({ ...article })), {
    confirmedClusters: [['1', '2']], notDuplicatePairs: [['2', '1']]
  })
  t.same(notDuplicateWins.clusters, [])
})

t.test('the primary record is the most complete one, ties going to the first', async (t) => {
  const bare = record({ title: article.title, year: 2019, authors: smith })
  const full = record({ ...article, abstract: 'Background: insomnia is common. Methods: we randomised 300 adults.' })
  const result = findDuplicateClusters(items(bare, full, record({ ...article, doi: undefined })))
  t.equal(result.clusters[0].primaryId, '2')
  const tie = findDuplicateClusters(items(record({ ...article }), record({ ...article })))
  t.equal(tie.clusters[0].primaryId, '1')
  t.same(tie.clusters[0].memberIds, ['1', '2'])
})

t.test('comparisons grow linearly even when every title starts alike', async (t) => {
  const alike = (n: number): DedupItem[] => Array.from({ length: n }, (_, k) => ({
    id: `x${k}`, record: record({ title: `A randomized controlled trial of drug number ${k} in adults`, year: 2000 + (k % 20) })
  }))
  const small = findDuplicateClusters(alike(2000))
  const large = findDuplicateClusters(alike(8000))
  t.ok(large.comparisons < 40 * 8000, `${large.comparisons} comparisons for 8000 records`)
  t.ok(large.comparisons / small.comparisons < 4 * 1.25, `4x the records, ${(large.comparisons / small.comparisons).toFixed(2)}x the comparisons`)
  t.same(large.clusters, [], 'numbered titles are different papers')
})

t.test('an identifier pasted on many records links only those that also share a title', async (t) => {
  const volume = Array.from({ length: 300 }, (_, k) => ({
    id: `p${k}`, record: record({ title: `Paper ${k} of the proceedings, on topic ${k * 7}`, doi: '10.1145/3000000', year: 2020 })
  }))
  volume.push({ id: 'copy', record: record({ title: 'Paper 5 of the proceedings, on topic 35', doi: '10.1145/3000000', year: 2020 }) })
  const result = findDuplicateClusters(volume)
  t.same(groups(result), [['copy', 'p5']])
  t.ok(result.comparisons < 300 * 20, `${result.comparisons} comparisons`)
})

t.test('duplicate ids are refused', async (t) => {
  t.throws(() => findDuplicateClusters([{ id: 'a', record: article }, { id: 'a', record: article }]))
})

t.test('DuplicateFinder: records added one by one, completeness given by the caller, used once', async (t) => {
  const finder = new DuplicateFinder()
  const copy = record({ ...article, doi: undefined, abstract: undefined })
  finder.add({ id: 'a', record: article, completeness: 1 })
  finder.add({ id: 'b', record: copy, completeness: 30 })
  t.throws(() => finder.add({ id: 'a', record: article }), /duplicate item id a/)
  t.equal(finder.size, 2)
  const result = finder.finish()
  t.same(groups(result), [['a', 'b']])
  t.equal(result.clusters[0].primaryId, 'b', 'the completeness given wins over the record\'s own')
  t.same(findDuplicateClusters(items(article, copy)).clusters[0].primaryId, '1', 'computed from the records otherwise')
  t.throws(() => finder.finish(), /already called/)
  t.throws(() => finder.add({ id: 'c', record: article }), /after finish/)
})

// A pair that only its abstracts decide: close titles and the same year fall short of the threshold alone.
const TRIAL_TITLE = 'Effectiveness of internet-delivered cognitive behavioural therapy for insomnia: a randomised controlled trial'
const TRIAL_VARIANT = 'Effectiveness of online cognitive behavioural therapy for chronic insomnia: randomised controlled trial'
const TRIAL_ABSTRACT = 'Background: insomnia is common among adults and cognitive behavioural therapy is the recommended first treatment, ' +
  'yet access remains limited. Methods: we randomised 300 adults with chronic insomnia to an internet programme or a waiting ' +
  'list and measured sleep efficiency, severity and daytime functioning at eight weeks.'
const SURVEY_ABSTRACT = 'Objective: to estimate the prevalence of hypertension among rural school teachers and describe associated ' +
  'lifestyle factors. Design: a cross-sectional survey of 1200 teachers in four districts with blood pressure measured twice ' +
  'and questionnaires on diet, exercise, smoking and stress.'

t.test('abstracts decide a pair that the rest leaves just below the threshold', async (t) => {
  const same = findDuplicateClusters(items(
    record({ title: TRIAL_TITLE, year: 2019, abstract: TRIAL_ABSTRACT }), record({ title: TRIAL_VARIANT, year: 2019, abstract: TRIAL_ABSTRACT })))
  t.same(groups(same), [['1', '2']])
  t.ok(same.clusters[0].links[0].evidence.includes('similar abstracts'))
  const different = findDuplicateClusters(items(
    record({ title: TRIAL_TITLE, year: 2019, abstract: TRIAL_ABSTRACT }), record({ title: TRIAL_VARIANT, year: 2019, abstract: SURVEY_ABSTRACT })))
  t.same(groups(different), [], 'different abstracts: not linked')
})

t.test('DuplicateFinder with abstracts on demand loads only those that can decide a pair', async (t) => {
  // Records as a database would hand them over: no abstract text, only whether there is one.
  const coaching = record({
    title: 'Telephone coaching for smoking cessation in primary care: a pragmatic trial', authors: smith, year: 2015, pages: '44-52',
    journal: 'Addiction', doi: '10.1111/add.1234'
  })
  const finderWith = (otherAbstract: string) => {
    const finder = new DuplicateFinder({ abstracts: 'on-demand' })
    finder.add({ id: 'trial', record: record({ title: TRIAL_TITLE, year: 2019 }), hasAbstract: true })
    finder.add({ id: 'variant', record: record({ title: TRIAL_VARIANT, year: 2019 }), hasAbstract: true })
    finder.add({ id: 'copy', record: record({ ...coaching, doi: undefined }), hasAbstract: true })
    finder.add({ id: 'article', record: coaching, hasAbstract: true })
    const requested: string[][] = []
    const abstracts = new Map([['trial', TRIAL_ABSTRACT], ['variant', otherAbstract], ['copy', TRIAL_ABSTRACT], ['article', TRIAL_ABSTRACT]])
    const load = async (ids: string[]) => {
      requested.push(ids)
      return new Map(ids.map((id) => [id, abstracts.get(id)!]))
    }
    return { finder, requested, load }
  }
  const same = finderWith(TRIAL_ABSTRACT)
  t.throws(() => same.finder.finish(), /on demand/, 'the synchronous finish needs the abstracts at hand')
  const result = await same.finder.finishAsync({}, same.load)
  t.same(same.requested, [['trial', 'variant']], 'one load, of the undecided pair only (the other pair is decided by its titles)')
  t.same(groups(result), [['article', 'copy'], ['trial', 'variant']])
  t.ok(result.clusters.find((c) => c.memberIds.includes('trial'))!.links[0].evidence.includes('similar abstracts'))

  const other = finderWith(SURVEY_ABSTRACT)
  t.same(groups(await other.finder.finishAsync({}, other.load)), [['article', 'copy']], 'a loaded abstract that differs keeps them apart')

  const none = new DuplicateFinder({ abstracts: 'on-demand' })
  none.add({ id: 'a', record: coaching, hasAbstract: true })
  none.add({ id: 'b', record: record({ ...coaching, doi: undefined }), hasAbstract: false })
  let loads = 0
  t.same(groups(await none.finishAsync({}, async () => { loads++; return new Map() })), [['a', 'b']])
  t.equal(loads, 0, 'nothing loaded when no pair needs an abstract')
})
