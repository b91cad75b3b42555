import t from 'tap'
import { checkChunkOptions, ChunkOptionsError, chunkPage, chunkPages } from '../../src/rag/chunk.ts'
import { citedIds, verifyCitations } from '../../src/rag/prompt.ts'

const words = (n: number, prefix = 'w') => Array.from({ length: n }, (_, i) => `${prefix}${i}`).join(' ')

t.test('chunks in words: size words each, the last overlap words repeated, offsets into the page', async (t) => {
  const text = words(10)
  const chunks = chunkPage({ number: 3, text }, { unit: 'words', size: 4, overlap: 1 })
  t.same(chunks.map((c) => c.text), ['w0 w1 w2 w3', 'w3 w4 w5 w6', 'w6 w7 w8 w9'])
  t.ok(chunks.every((c) => c.page === 3 && text.slice(c.start, c.end) === c.text))
  t.same(chunks.map((c) => c.ordinal), [0, 1, 2])
})

t.test('chunks in characters: at most size characters, ending between words, overlapping by about overlap characters', async (t) => {
  const text = 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu'
  const chunks = chunkPage({ number: 1, text }, { unit: 'chars', size: 20, overlap: 8 })
  t.ok(chunks.length > 2)
  for (const c of chunks) {
    t.ok(c.text.length <= 20, `"${c.text}" is at most 20 characters`)
    t.equal(text.slice(c.start, c.end), c.text)
    t.notOk(/^\S/.test(text.slice(c.end)) && c.end < text.length, 'ends at a word boundary')
  }
  for (let i = 1; i < chunks.length; i++) {
    t.ok(chunks[i].start < chunks[i - 1].end, 'overlaps the previous chunk')
    t.ok(chunks[i].start > chunks[i - 1].start, 'moves forward')
  }
  t.equal(chunks.at(-1)!.end, text.length, 'the whole page is covered')
  // A word longer than the size is cut rather than overflowing.
  const long = chunkPage({ number: 1, text: 'x'.repeat(50) }, { unit: 'chars', size: 20, overlap: 0 })
  t.same(long.map((c) => c.text.length), [20, 20, 10])
})

t.test('a chunk never crosses a page: each page is cut on its own, blank pages give none, ordinals run on', async (t) => {
  const chunks = chunkPages([{ number: 1, text: words(5, 'a') }, { number: 2, text: '  \n ' }, { number: 3, text: words(5, 'b') }], { unit: 'words', size: 4, overlap: 0 })
  t.same(chunks.map((c) => [c.page, c.ordinal, c.text]), [[1, 0, 'a0 a1 a2 a3'], [1, 1, 'a4'], [3, 2, 'b0 b1 b2 b3'], [3, 3, 'b4']])
})

t.test('bad options name their field', async (t) => {
  t.throws(() => checkChunkOptions({ unit: 'words', size: 10, overlap: 10 }), new ChunkOptionsError('overlap (10) must be smaller than size (10)', 'overlap'))
  const fieldOf = (options: Parameters<typeof checkChunkOptions>[0]) => {
    try { checkChunkOptions(options) } catch (error) { return (error as ChunkOptionsError).field }
  }
  t.equal(fieldOf({ unit: 'words', size: 0, overlap: 0 }), 'size')
  t.equal(fieldOf({ unit: 'lines' as 'words', size: 5, overlap: 0 }), 'unit')
})

t.test('cited ids: bracketed ids and lists; other brackets ignored; ids not retrieved flagged', async (t) => {
  t.same(citedIds('A [12]. B [12, 34] and [chunk 56; #7]. See [Table 2] and [n=30].'), [12, 34, 56, 7])
  t.same(verifyCitations('Yes [3] [9].', [3, 4]), { valid: [3], invalid: [9] })
})
