import t from 'tap'
import { buildTfidf, ENGLISH_STOP_WORDS, recordText, tokenize } from '../../src/screening/features.ts'

t.test('tokens are lower-cased words of letters and digits of any script, without stop words', async (t) => {
  t.same(tokenize('The Effect of COVID-19 on Quality-of-Life: a RCT'), ['effect', 'covid', '19', 'quality', 'life', 'rct'])
  t.same(tokenize('Études sur la thérapie: l\'alliance numérique'), ['études', 'sur', 'la', 'thérapie', 'alliance', 'numérique'])
  t.same(tokenize('Ｆｕｌｌｗｉｄｔｈ ＡＢＣ and ß'), ['fullwidth', 'abc'], 'NFKC folds full-width forms; one-letter tokens dropped')
  t.same(tokenize('the cat and the hat', { stopWords: false }), ['the', 'cat', 'and', 'the', 'hat'])
  t.same(tokenize('a b cd', { stopWords: false, minTokenLength: 1 }), ['a', 'b', 'cd'])
  t.equal(ENGLISH_STOP_WORDS.size, 318, "scikit-learn's list, all of it")
  t.ok(['amoungst', 'couldnt', 'hasnt', 'noone'].every((w) => ENGLISH_STOP_WORDS.has(w)))
  t.ok(ENGLISH_STOP_WORDS.has('whereupon') && !ENGLISH_STOP_WORDS.has('patients'))
})

t.test('TF-IDF follows scikit-learn: smooth idf, raw counts, l2-normalised rows', async (t) => {
  // Documents (stop words removed): d0 = [cats, dogs, cats], d1 = [dogs], d2 = [birds].
  // n = 3; df: cats 1, dogs 2, birds 1. idf = ln((1+3)/(1+df)) + 1: cats = ln 2 + 1, dogs = ln(4/3) + 1.
  // d0 raw = [2·(ln2+1), 1·(ln(4/3)+1)], then divided by its l2 norm.
  const features = buildTfidf(['cats and dogs and cats', 'the dogs', 'birds'])
  t.same(features.vocabulary, ['cats', 'dogs', 'birds'])
  const idfCats = Math.log(2) + 1
  const idfDogs = Math.log(4 / 3) + 1
  t.ok(Math.abs(features.idf[0] - idfCats) < 1e-12)
  t.ok(Math.abs(features.idf[1] - idfDogs) < 1e-12)
  const { indptr, indices, data } = features.matrix
  const norm = Math.hypot(2 * idfCats, idfDogs)
  t.same([...indices.slice(indptr[0], indptr[1])], [0, 1])
  t.ok(Math.abs(data[indptr[0]] - (2 * idfCats) / norm) < 1e-6)
  t.ok(Math.abs(data[indptr[0] + 1] - idfDogs / norm) < 1e-6)
  t.same([...indices.slice(indptr[1], indptr[2])], [1])
  t.ok(Math.abs(data[indptr[1]] - 1) < 1e-6, 'a one-term document has value 1')
})

t.test('bigrams are formed after stop-word removal; sublinear tf and document-frequency bounds apply', async (t) => {
  const features = buildTfidf(['quality of life', 'quality of life quality of life', 'life'], { ngramMax: 2, sublinearTf: true })
  // d1 tokens: quality life quality life → quality ×2, "quality life" ×2, life ×2, "life quality" ×1.
  const terms = ['quality', 'quality life', 'life', 'life quality']
  t.same([...features.vocabulary].sort(), [...terms].sort())
  // n = 3; df: quality 2, "quality life" 2, life 3, "life quality" 1 → idf = ln(4/(1+df)) + 1.
  const idf = [Math.log(4 / 3) + 1, Math.log(4 / 3) + 1, 1, Math.log(2) + 1]
  const tf = [1 + Math.log(2), 1 + Math.log(2), 1 + Math.log(2), 1]
  const raw = idf.map((v, j) => v * tf[j])
  const norm = Math.hypot(...raw)
  const { indptr, indices, data } = features.matrix
  const row1 = new Map<string, number>()
  for (let p = indptr[1]; p < indptr[2]; p++) row1.set(features.vocabulary[indices[p]], data[p])
  t.equal(row1.size, 4)
  terms.forEach((term, j) => t.ok(Math.abs(row1.get(term)! - raw[j] / norm) < 1e-6, term))
  t.ok([...indices.slice(indptr[1], indptr[2])].every((c, i, a) => i === 0 || a[i - 1] < c), 'columns sorted within a row')

  const pruned = buildTfidf(['alpha beta', 'alpha gamma', 'alpha delta'], { minDf: 2 })
  t.same(pruned.vocabulary, ['alpha'])
  const noCommon = buildTfidf(['alpha beta', 'alpha gamma', 'alpha delta'], { maxDfRatio: 0.5 })
  t.same(noCommon.vocabulary, ['beta', 'gamma', 'delta'])
})

t.test('empty texts give empty rows; recordText joins title and abstract', async (t) => {
  const features = buildTfidf(['', recordText({ title: 'Trial', abstract: null }), recordText({})])
  t.equal(features.matrix.rows, 3)
  t.equal(features.matrix.indptr[1], 0)
  t.equal(features.matrix.indptr[3] - features.matrix.indptr[2], 0)
  t.same(features.vocabulary, ['trial'])
})

// Its speed is a figure of bench/screening-speed.ts, not an assertion here.
t.test('10,000 abstract-sized documents are vectorised', async (t) => {
  const words = Array.from({ length: 5000 }, (_, i) => `term${i.toString(36)}`)
  let state = 7
  const random = () => { state = (state * 48271) % 2147483647; return state / 2147483647 }
  const texts = Array.from({ length: 10000 }, () => Array.from({ length: 180 }, () => words[Math.floor(random() ** 2 * words.length)]).join(' '))
  const features = buildTfidf(texts, { ngramMax: 2 })
  t.equal(features.matrix.rows, 10000)
  t.ok(features.matrix.indices.length > 1_000_000)
})
