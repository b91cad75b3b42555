import t from 'tap'
import { normalizeArxivId, normalizeDoi, normalizePmcid, normalizePmid, parseYear } from '../../src/references/identifiers.ts'

t.test('DOIs compare equal whatever prefix, case or trailing punctuation', async (t) => {
  t.equal(normalizeDoi('https://doi.org/10.1000/ABC.def'), '10.1000/abc.def')
  t.equal(normalizeDoi('doi:10.1000/abc.def.'), '10.1000/abc.def')
  t.equal(normalizeDoi('https://dx.doi.org/10.1002%2Fjmir.123'), '10.1002/jmir.123')
  t.equal(normalizeDoi('not a doi'), undefined)
  t.equal(normalizeDoi(''), undefined)
})

t.test('PMIDs, PMCIDs and arXiv ids are normalised', async (t) => {
  t.equal(normalizePmid('PMID: 0012345'), '12345')
  t.equal(normalizePmid(98765), '98765')
  t.equal(normalizePmid('abc'), undefined)
  t.equal(normalizePmcid('pmc 123456'), 'PMC123456')
  t.equal(normalizePmcid('12345'), undefined)
  t.equal(normalizeArxivId('arXiv:2101.00001v3'), '2101.00001')
  t.equal(normalizeArxivId('https://arxiv.org/abs/hep-th/9901001v2'), 'hep-th/9901001')
  t.equal(normalizeArxivId('10.1000/x'), undefined)
})

t.test('years are found in date strings and implausible ones refused', async (t) => {
  t.equal(parseYear('2019/05/03/'), 2019)
  t.equal(parseYear('May 2021'), 2021)
  t.equal(parseYear('12345'), undefined)
  t.equal(parseYear(undefined), undefined)
})
