/**
 * What the input rules of every route (src/http/input-guard.ts) cost: the
 * walk of a parsed JSON body looking for NUL characters, unpaired
 * surrogates and non-finite numbers, on bodies up to the 10 MB body limit.
 *
 *   npx tsx bench/input-guard.ts
 */
import { checkInput } from '../src/http/input-guard.ts'

function body(records: number, textLength: number): unknown {
  const text = 'The digital therapeutic alliance with conversational agents – é, 漢字 and 🙂. '.repeat(Math.ceil(textLength / 80)).slice(0, textLength)
  return {
    items: Array.from({ length: records }, (_, i) => ({
      title: `${text.slice(0, 120)} ${i}`, abstract: text, year: 2000 + (i % 25), tags: ['a', 'b', `t${i}`],
      authors: [{ family: 'Smith', given: 'Jane' }, { family: 'Doe', given: 'J.' }]
    }))
  }
}

const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]
for (const [label, records, textLength] of [
  ['one small object', 1, 50], ['1,000 records, short abstracts', 1000, 200],
  ['5,000 records, ~2 KB abstracts (~10 MB)', 5000, 2000], ['one 10 MB string', 1, 10 << 20]
] as const) {
  const input = body(records, textLength)
  const bytes = Buffer.byteLength(JSON.stringify(input))
  const parse = (): number => { const s = performance.now(); JSON.parse(JSON.stringify(input)); return performance.now() - s }
  const walk = (): number => { const s = performance.now(); checkInput('body', input); return performance.now() - s }
  const runs = 7
  const walkMs = median(Array.from({ length: runs }, walk))
  const parseMs = median(Array.from({ length: runs }, parse))
  console.log(`${label}: ${(bytes / 1e6).toFixed(2)} MB JSON — check ${walkMs.toFixed(2)} ms, JSON stringify+parse ${parseMs.toFixed(2)} ms (${(100 * walkMs / parseMs).toFixed(0)}%)`)
}
