import t from 'tap'
import type { ExportItem } from '../../src/export/item.ts'
import { emptyRecord, type ReferenceRecord } from '../../src/references/model.ts'
import { BIBLIOGRAPHY_STYLES, formatBibliography, type BibliographyStyle } from '../../src/reporting/bibliography.ts'

const item = (record: Partial<ReferenceRecord>): ExportItem => ({
  record: { ...emptyRecord(), ...record },
  decision: [{ stage: 'full_text', decision: 'include', note: 'screening note that a reference list never prints' }],
  tags: ['a-tag']
})

// A journal article with a DOI and a particle ("van der"), a chapter in an edited book, a conference paper.
const ARTICLES: ExportItem[] = [
  item({
    type: 'article', title: 'Effects of exercise on depression in older adults: a randomized controlled trial',
    authors: [{ family: 'van der Berg', given: 'Anna M.' }, { family: 'Smith', given: 'John' }, { family: 'García-López', given: 'María' }],
    year: 2021, journal: 'Journal of Aging Research', volume: '12', issue: '3', pages: '145-159', doi: '10.1234/jar.2021.0145',
    abstract: 'An abstract.', keywords: ['exercise']
  }),
  item({
    type: 'chapter', title: 'Qualitative methods in health research', authors: [{ family: 'Dupont', given: 'Claire' }],
    year: 2019, journal: 'Handbook of Health Research Methods', pages: '201-230', publisher: 'Oxford University Press'
  }),
  item({
    type: 'conference-paper', title: 'Active learning for systematic review screening', authors: [{ family: 'Lee', given: 'Kim' }, { family: 'Müller', given: 'Hans' }],
    year: 2020, journal: 'Proceedings of the 2020 Conference on Information Retrieval', pages: '33-40', publisher: 'ACM', doi: '10.1145/3397271.3401111'
  })
]

/**
 * Each style's references for the three articles, in the style's order, as
 * its guide's examples lay them out: APA 7 (sorted by the name as written,
 * "van der Berg" under v; "&" before the last author; DOI as URL), Vancouver
 * (NLM: numbered, initials without points, "In:", abbreviated page range),
 * Cite Them Right Harvard (British single quotes, "Available at:"; the
 * particle demoted for sorting, so van der Berg files under B), Chicago
 * author-date 18th (headline-style titles, "Berg, Anna M. van der", 18th
 * edition dropping the chapter's page range), IEEE (numbered in brackets,
 * initials first, "vol.", "no.", "doi:").
 */
const EXPECTED: Record<BibliographyStyle, string[]> = {
  apa: [
    'Dupont, C. (2019). Qualitative methods in health research. In Handbook of Health Research Methods (pp. 201–230). Oxford University Press.',
    'Lee, K., & Müller, H. (2020). Active learning for systematic review screening. Proceedings of the 2020 Conference on Information Retrieval, 33–40. https://doi.org/10.1145/3397271.3401111',
    'van der Berg, A. M., Smith, J., & García-López, M. (2021). Effects of exercise on depression in older adults: a randomized controlled trial. Journal of Aging Research, 12(3), 145–159. https://doi.org/10.1234/jar.2021.0145'
  ],
  vancouver: [
    '1. Dupont C. Qualitative methods in health research. In: Handbook of Health Research Methods. Oxford University Press; 2019. p. 201–30.',
    '2. Lee K, Müller H. Active learning for systematic review screening. In: Proceedings of the 2020 Conference on Information Retrieval. ACM; 2020. p. 33–40. doi:10.1145/3397271.3401111',
    '3. van der Berg AM, Smith J, García-López M. Effects of exercise on depression in older adults: a randomized controlled trial. Journal of Aging Research. 2021;12(3):145–59. doi:10.1234/jar.2021.0145'
  ],
  harvard: [
    'van der Berg, A.M., Smith, J. and García-López, M. (2021) ‘Effects of exercise on depression in older adults: a randomized controlled trial’, Journal of Aging Research, 12(3), pp. 145–159. Available at: https://doi.org/10.1234/jar.2021.0145.',
    'Dupont, C. (2019) ‘Qualitative methods in health research’, Handbook of Health Research Methods. Oxford University Press, pp. 201–230.',
    'Lee, K. and Müller, H. (2020) ‘Active learning for systematic review screening’, Proceedings of the 2020 Conference on Information Retrieval. ACM, pp. 33–40. Available at: https://doi.org/10.1145/3397271.3401111.'
  ],
  chicago: [
    'Berg, Anna M. van der, John Smith, and María García-López. 2021. “Effects of Exercise on Depression in Older Adults: A Randomized Controlled Trial.” Journal of Aging Research 12 (3): 145–59. https://doi.org/10.1234/jar.2021.0145.',
    'Dupont, Claire. 2019. “Qualitative Methods in Health Research.” In Handbook of Health Research Methods. Oxford University Press.',
    'Lee, Kim, and Hans Müller. 2020. “Active Learning for Systematic Review Screening.” Proceedings of the 2020 Conference on Information Retrieval, 33–40. https://doi.org/10.1145/3397271.3401111.'
  ],
  ieee: [
    '[1] C. Dupont, “Qualitative methods in health research,” in Handbook of Health Research Methods, Oxford University Press, 2019, pp. 201–230.',
    '[2] K. Lee and H. Müller, “Active learning for systematic review screening,” in Proceedings of the 2020 Conference on Information Retrieval, ACM, 2020, pp. 33–40. doi: 10.1145/3397271.3401111.',
    '[3] A. M. van der Berg, J. Smith, and M. García-López, “Effects of exercise on depression in older adults: a randomized controlled trial,” Journal of Aging Research, vol. 12, no. 3, pp. 145–159, 2021, doi: 10.1234/jar.2021.0145.'
  ]
}

for (const style of Object.keys(BIBLIOGRAPHY_STYLES) as BibliographyStyle[]) {
  t.test(`${style}: the three references exactly as the style writes them`, async (t) => {
    const text = formatBibliography(ARTICLES, { style, format: 'text' })
    t.same(text.entries, EXPECTED[style])
    t.equal(text.body, EXPECTED[style].map((line) => `${line}\n`).join(''), 'one reference a line, no line break inside one')
    // The same order whatever order the articles come in.
    t.same(formatBibliography([...ARTICLES].reverse(), { style, format: 'text' }).entries, EXPECTED[style])

    const html = formatBibliography(ARTICLES, { style, format: 'html' })
    t.match(html.body, /^<div class="csl-bib-body">\n( {2}<div class="csl-entry">.*<\/div>\n){3}<\/div>\n$/)
    if (style !== 'vancouver') t.match(html.entries.join(''), /<i>(Journal of Aging Research|Handbook of Health Research Methods|Proceedings of the 2020 Conference on Information Retrieval)<\/i>/, 'titles in italics')
    const rtf = formatBibliography(ARTICLES, { style, format: 'rtf' })
    t.match(rtf.body, /^\{\\rtf1\\ansi/)
    t.equal(rtf.body.match(/\\par\n/g)?.length, 3)
    t.match(rtf.body, /M\\uc0\\u252\{\}ller/, 'non-ASCII as RTF Unicode escapes')
    for (const entry of [...html.entries, ...rtf.entries]) t.notMatch(entry, /\n/)
  })
}

t.test('no line break between the characters of a reference (the original wrote one after each)', async (t) => {
  for (const style of Object.keys(BIBLIOGRAPHY_STYLES) as BibliographyStyle[]) {
    const body = formatBibliography(ARTICLES, { style, format: 'text' }).body
    t.equal(body.split('\n').length, 4, style)
    t.notMatch(body, /(.\n){4}/, style)
  }
})

t.test('French locale: French terms and quotation marks', async (t) => {
  const { entries } = formatBibliography(ARTICLES, { style: 'ieee', format: 'text', locale: 'fr-FR' })
  // Guillemets with the narrow no-break spaces French typography puts inside them, "p." for pages.
  t.match(entries[1], /^\[2\] K\. Lee et H\. Müller, «\s+Active learning for systematic review screening\s+», in Proceedings .*, p\. 33.40\. doi: 10\.1145\/3397271\.3401111\.$/)
  t.match(entries[2], /A\.\s?M\.\svan der\sBerg, J\.\sSmith, et M\.\sGarcía-López/)
})

t.test('markup in a title is escaped in HTML; notes, abstracts and keywords are not printed', async (t) => {
  const hostile = item({ type: 'article', title: '<script>alert(1)</script> & more', authors: [{ family: 'Doe', given: 'Jane' }], year: 2022, journal: 'J' })
  const { entries } = formatBibliography([hostile, ARTICLES[0]], { style: 'apa', format: 'html' })
  t.notMatch(entries.join(''), /<script>/)
  t.match(entries[0], '&#60;script&#62;')
  const text = formatBibliography(ARTICLES, { style: 'apa', format: 'text' }).body
  t.notMatch(text, /screening note|An abstract|exercise,|a-tag/)
})

t.test('an empty set gives an empty bibliography', async (t) => {
  t.same(formatBibliography([], { style: 'apa', format: 'text' }), { entries: [], body: '' })
  t.equal(formatBibliography([], { style: 'apa', format: 'html' }).body, '<div class="csl-bib-body">\n</div>\n')
})
