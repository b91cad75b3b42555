import t from 'tap'
import { decodeHtmlEntities } from '../../src/references/text.ts'
import {
  firstAuthorKey, firstPage, foldToAscii, isNoticeTitle, journalInitials, journalsCompatible,
  normalizeFamilyName, normalizeTitle, normalizeVolume, stripTags
} from '../../src/dedup/normalize.ts'

t.test('titles that differ only in typography normalise to the same key', async (t) => {
  const key = normalizeTitle('Effects of β-blockers on heart failure: a randomised trial')
  t.equal(key, 'effects of beta blockers on heart failure a randomised trial')
  t.equal(normalizeTitle('EFFECTS OF BETA-BLOCKERS ON HEART FAILURE - A RANDOMISED TRIAL.'), key)
  t.equal(normalizeTitle('Effects of &#946;-blockers on heart failure&#8211;a randomised trial'), key)
  t.equal(normalizeTitle('Effects of <i>β</i>-blockers on heart failure: a randomised trial'), key)
  t.equal(normalizeTitle('[Effects of β-blockers on heart failure: a randomised trial].'), key)
})

t.test('entities, tags and diacritics are handled one by one', async (t) => {
  t.equal(decodeHtmlEntities('Tom &amp; Jerry &#8211; &#x2014; &eacute;t&eacute; &bogus;'), 'Tom & Jerry – — été &bogus;')
  t.equal(decodeHtmlEntities('&Delta;&delta; R&AMP;D &#0; &#x110000;'), 'Δδ R&D &#0; &#x110000;', 'case matters first, then not; invalid code points stay')
  t.equal(stripTags('H<sub>2</sub>O in <p>water</p>'), 'H2O in  water ')
  t.equal(foldToAscii('Ærø Straße Łódź naïve'), 'aero strasse lodz naive')
  t.equal(normalizeTitle('Crohn’s disease & “quality” of life'), 'crohns disease and quality of life')
})

t.test('leading articles are dropped only when asked', async (t) => {
  t.equal(normalizeTitle('The burden of stroke'), 'the burden of stroke')
  t.equal(normalizeTitle('The burden of stroke', { dropLeadingArticles: true }), 'burden of stroke')
  t.equal(normalizeTitle('A trial', { dropLeadingArticles: true }), 'trial')
  t.equal(normalizeTitle('Another trial', { dropLeadingArticles: true }), 'another trial')
  t.equal(normalizeTitle(undefined), '')
})

t.test('family names ignore case, diacritics and particles', async (t) => {
  t.equal(normalizeFamilyName('van der Berg'), 'berg')
  t.equal(normalizeFamilyName('Berg'), 'berg')
  t.equal(normalizeFamilyName('Müller'), 'muller')
  t.equal(normalizeFamilyName("O'Brien"), 'obrien')
  t.equal(normalizeFamilyName('De La Cruz'), 'cruz')
  t.equal(firstAuthorKey([{ family: 'Smith JA' }]), 'smith')
  t.equal(firstAuthorKey([{ family: 'Smith', given: 'J. A.' }]), 'smith')
  t.equal(firstAuthorKey([{ family: 'WHO Collaborating Group', literal: true }]), 'whocollaboratinggroup')
  t.equal(firstAuthorKey([]), '')
})

t.test('journal titles are compared through their abbreviations', async (t) => {
  t.equal(journalInitials('J Med Internet Res'), 'jmir')
  t.equal(journalInitials('Journal of Medical Internet Research'), 'jmir')
  t.equal(journalsCompatible('J Med Internet Res', 'Journal of Medical Internet Research'), true)
  t.equal(journalsCompatible('Br. J. Psychiatry', 'The British Journal of Psychiatry'), true)
  t.equal(journalsCompatible('Proc Natl Acad Sci U S A',
    'Proceedings of the National Academy of Sciences of the United States of America'), true)
  t.equal(journalsCompatible('JMIR', 'Journal of Medical Internet Research'), true)
  t.equal(journalsCompatible('Lancet (London, England)', 'The Lancet'), true)
  t.equal(journalsCompatible('J Clin Psychiatry', 'Journal of Clinical Psychology'), false)
  t.equal(journalsCompatible('BMJ Open', 'BMJ'), false)
  t.equal(journalsCompatible(undefined, 'BMJ'), undefined)
})

t.test('pages compare by their first page, volumes by their number', async (t) => {
  t.equal(firstPage('123-9'), '123')
  t.equal(firstPage('123–129'), '123')
  t.equal(firstPage('e0123456'), '123456')
  t.equal(firstPage('S12-S19'), '12')
  t.equal(firstPage('n/a'), undefined)
  t.equal(normalizeVolume('12 (Suppl 2)'), '12')
  t.equal(normalizeVolume('012'), '12')
})

t.test('erratum, retraction and reply notices are recognised, articles with similar words are not', async (t) => {
  t.ok(isNoticeTitle('Erratum: Effects of exercise on depression'))
  t.ok(isNoticeTitle('Correction to: Effects of exercise on depression'))
  t.ok(isNoticeTitle('RETRACTED ARTICLE: Effects of exercise on depression'))
  t.ok(isNoticeTitle('Comment on: "Effects of exercise on depression"'))
  t.ok(isNoticeTitle("The authors' reply"))
  t.notOk(isNoticeTitle('Correction of scoliosis in adolescents'))
  t.notOk(isNoticeTitle('Response to treatment in major depression'))
  t.notOk(isNoticeTitle('Re-evaluation of the evidence'))
})
