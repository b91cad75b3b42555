import t from 'tap'
import { diceSimilarity, diceSimilarityIn, levenshteinRatio, trigramProfile } from '../../src/dedup/similarity.ts'

t.test('every trigram of the normalised alphabet has its own 16-bit code', async (t) => {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'
  const codes = new Set<number>()
  for (const x of alphabet) for (const y of alphabet) for (const z of alphabet) codes.add(trigramProfile(x + y + z)[0])
  t.equal(codes.size, 36 ** 3)
  const short = new Set([...alphabet].flatMap((x) => [trigramProfile(x)[0], ...[...alphabet].map((y) => trigramProfile(x + y)[0])]))
  t.equal(short.size, 36 + 36 * 36, 'strings of one or two characters too')
  t.notOk([...short].some((code) => codes.has(code)), 'apart from the trigrams')
})

t.test('Dice of trigram profiles', async (t) => {
  t.equal(diceSimilarity(trigramProfile('randomisedtrial'), trigramProfile('randomisedtrial')), 1)
  t.equal(diceSimilarity(trigramProfile('ab'), trigramProfile('ab')), 1, 'short strings equal themselves')
  t.equal(diceSimilarity(trigramProfile('ab'), trigramProfile('ba')), 0)
  t.equal(diceSimilarity(trigramProfile('abcd'), trigramProfile('bcda')), 0.5, 'abc bcd / bcd cda')
  t.equal(diceSimilarity(trigramProfile(''), trigramProfile('')), 0)
  const a = trigramProfile('cognitivebehaviouraltherapy')
  const b = trigramProfile('cognitivebehavioraltherapy')
  const packed = new Uint16Array(a.length + b.length)
  packed.set(a)
  packed.set(b, a.length)
  t.equal(diceSimilarityIn(packed, 0, a.length, packed, a.length, packed.length), diceSimilarity(a, b), 'on ranges of one buffer')
  t.ok(diceSimilarity(a, b) > 0.85 && diceSimilarity(a, b) < 1)
})

t.test('Levenshtein ratio', async (t) => {
  t.equal(levenshteinRatio('behaviour', 'behavior'), 1 - 1 / 9)
  t.equal(levenshteinRatio('', ''), 0)
  t.ok(levenshteinRatio('abcdefghij', 'zyxwvutsrq', 0.75) < 0.75, 'below the minimum: only known to be below it')
})
