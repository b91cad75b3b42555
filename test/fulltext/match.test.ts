import t from 'tap'
import { matchPdf, titleSimilarity, TITLE_THRESHOLD } from '../../src/fulltext/match.ts'

const ARTICLES = [
  { id: 'a', doi: '10.1000/ABC.1', pmid: null, title: 'Chatbots and the digital therapeutic alliance: a scoping review' },
  { id: 'b', doi: null, pmid: '31234567', title: 'Working alliance in internet-delivered therapy for depression' },
  { id: 'c', doi: '10.1016/j.x.2020.01.002', pmid: null, title: 'Digital therapeutic alliance with mental health apps: a systematic review' }
]

t.test('rules in order: identifiers in the PDF, then the file name, then the title', async (t) => {
  t.same(matchPdf({ fileName: 'x.pdf', doi: 'https://doi.org/10.1000/abc.1' }, ARTICLES), { articleId: 'a', rule: 'doi' })
  t.same(matchPdf({ fileName: 'x.pdf', pmid: '31234567' }, ARTICLES), { articleId: 'b', rule: 'pmid' })
  t.same(matchPdf({ fileName: '10.1016_j.x.2020.01.002.pdf' }, ARTICLES), { articleId: 'c', rule: 'file-name-doi' })
  t.same(matchPdf({ fileName: 'PMID-31234567.pdf' }, ARTICLES), { articleId: 'b', rule: 'file-name-pmid' })
  t.match(matchPdf({ fileName: 'Working_alliance_in_internet-delivered_therapy_for_depression.pdf' }, ARTICLES), { articleId: 'b', rule: 'file-name-title' })
  t.match(matchPdf({ fileName: 'scan0001.pdf', title: 'Chatbots and the Digital Therapeutic Alliance — A Scoping Review' }, ARTICLES), { articleId: 'a', rule: 'title', similarity: 1 })
  t.same(matchPdf({ fileName: 'x.pdf', doi: '10.1000/abc.1', title: 'Working alliance in internet-delivered therapy for depression' }, ARTICLES)?.rule, 'doi', 'an identifier wins over a title')
})

t.test('titles of one topic stay under the threshold; the same title with a subtitle passes', async (t) => {
  const related = titleSimilarity('Chatbots and the digital therapeutic alliance: a scoping review', 'Digital therapeutic alliance with mental health apps: a systematic review')
  t.ok(related < 0.6, `related titles: ${related}`)
  t.equal(matchPdf({ fileName: 'scan.pdf', title: 'The digital therapeutic alliance in mental health: a review' }, ARTICLES), undefined)
  const subtitle = titleSimilarity('Working alliance in internet-delivered therapy for depression', 'Working alliance in internet delivered therapy for depression: a randomised trial')
  t.ok(subtitle >= TITLE_THRESHOLD, `with a subtitle: ${subtitle}`)
  t.equal(matchPdf({ fileName: 'x.pdf' }, ARTICLES), undefined, 'nothing to go on')
})
