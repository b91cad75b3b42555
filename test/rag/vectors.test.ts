import t from 'tap'
import { buildSegment, CandidateScan, decodeFloat4, dot, encodeFloat4, quantise, topExact } from '../../src/rag/vectors.ts'
import { randomVector, seeded } from './fixture.ts'

const unitOf = (v: number[]) => {
  const n = Math.hypot(...v)
  return v.map((x) => x / n)
}

t.test('float4 round trip is the float4 of each component', async (t) => {
  const v = unitOf(randomVector(seeded(1), 384))
  t.same([...decodeFloat4(encodeFloat4(v))], v.map(Math.fround))
})

t.test('the codes miss at most the stored residual, so the score bound holds', async (t) => {
  const random = seeded(2)
  for (let n = 0; n < 200; n++) {
    const x = decodeFloat4(encodeFloat4(unitOf(randomVector(random, 97))))
    const q = quantise(x)
    const codes = new Int8Array(q.codes.buffer, q.codes.byteOffset, x.length)
    t.ok(codes.every((c) => c >= -127 && c <= 127))
    const missed = Math.sqrt(x.reduce((s, xi, i) => s + (xi - q.scale * codes[i]) ** 2, 0))
    if (q.residual < missed) t.fail(`residual ${q.residual} below ${missed}`)
    const y = randomVector(random, 97)
    const approx = q.scale * codes.reduce((s, c, i) => s + c * y[i], 0)
    if (Math.abs(dot(x, y) - approx) > q.residual * Math.hypot(...y)) t.fail('bound broken')
  }
  t.same(quantise([0, 0, 0]), { codes: Buffer.alloc(3), scale: 0, residual: 0 }, 'a zero vector')
})

t.test('two stages give the brute-force top k, ties by the smaller id', async (t) => {
  const random = seeded(3)
  const dims = 48
  const vectors = Array.from({ length: 3000 }, () => decodeFloat4(encodeFloat4(unitOf(randomVector(random, dims)))))
  // Duplicates: equal scores, broken by id.
  for (let i = 0; i < 300; i++) vectors[2000 + i] = vectors[i]
  const rows = vectors.map((v, i) => ({ id: i + 1, ...quantise(v) }))
  const segments = [buildSegment(rows.slice(0, 1000), dims), buildSegment(rows.slice(1000), dims)]
  for (const k of [1, 10, 50, 3000, 5000]) {
    for (let run = 0; run < 5; run++) {
      const y = run === 0 ? [...vectors[7]] : unitOf(randomVector(random, dims))
      const scan = new CandidateScan(y, k)
      segments.forEach((s) => scan.add(s))
      const candidates = scan.candidates()
      const got = topExact(candidates.map((id) => ({ id, similarity: dot(vectors[id - 1], y) })), k)
      const expected = topExact(vectors.map((v, i) => ({ id: i + 1, similarity: dot(v, y) })), k)
      t.same(got, expected, `k=${k} run ${run}`)
      if (k === 10) t.ok(candidates.length < 200, `few candidates re-scored (${candidates.length})`)
    }
  }
})
