/**
 * Exact nearest-neighbour search over unit embeddings without pgvector.
 *
 * Each embedding is stored twice: as float4 (the scores are computed from it)
 * and as int8 codes with a scale and a residual (what a scan reads: a quarter
 * of the bytes). Retrieval is two-stage and still exact:
 *
 *   x the stored vector, c its codes, s its scale, r = ‖x − s·c‖₂ (rounded up),
 *   y the question's vector, e = x·y the exact score, a = s·(c·y) the approximate one.
 *   By Cauchy–Schwarz |e − a| = |(x − s·c)·y| ≤ r·‖y‖, so e ∈ [a − r‖y‖, a + r‖y‖].
 *   Let L be the k-th largest lower bound. A vector whose upper bound is below
 *   L is beaten strictly by k others, so it is not in the top k whatever the
 *   tie-break. The others (the candidates, at least k) are scored exactly.
 *
 * The top k is therefore the one a brute-force scan of the float4 vectors
 * gives, ties broken by the smaller chunk id, not an approximation. The
 * margin added to r covers the rounding of the float64 sums (below 1e-13
 * for a few thousand dimensions).
 */

/** Added to each residual (per unit of ‖y‖): above any float64 rounding of a, a few thousand dimensions long. */
const SUM_ROUNDING_MARGIN = 1e-9

/** float4, big-endian: PostgreSQL's binary format of `real` (float4send), which the migration used. */
export function encodeFloat4(vector: ArrayLike<number>): Buffer {
  const out = Buffer.allocUnsafe(vector.length * 4)
  for (let i = 0; i < vector.length; i++) out.writeFloatBE(vector[i], i * 4)
  return out
}

export function decodeFloat4(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out = new Float32Array(bytes.byteLength / 4)
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, false)
  return out
}

export interface Quantised { codes: Buffer; scale: number; residual: number }

/**
 * int8 codes of a vector (scale = max |xᵢ| / 127, stored as float4) and the
 * L2 norm of what they miss, rounded up so the bound above holds. Computed
 * from the float4 values, as they are stored.
 */
export function quantise(vector: ArrayLike<number>): Quantised {
  const x = Float32Array.from(vector)
  let max = 0
  for (const v of x) max = Math.max(max, Math.abs(v))
  const scale = Math.fround(max / 127)
  const codes = Buffer.alloc(x.length)
  let missed = 0
  for (let i = 0; i < x.length; i++) {
    const code = scale === 0 ? 0 : Math.max(-127, Math.min(127, Math.round(x[i] / scale)))
    codes.writeInt8(code, i)
    missed += (x[i] - scale * code) ** 2
  }
  return { codes, scale, residual: roundUpFloat4(Math.sqrt(missed)) }
}

/** The smallest float4 not below v (v ≥ 0). */
function roundUpFloat4(v: number): number {
  const f = Math.fround(v)
  return f >= v ? f : Math.fround(v * (1 + 2 ** -22))
}

/** A file's embedded chunks as the scan reads them. */
export interface Segment {
  ids: Float64Array
  /** ids.length × dimensions int8 codes, one vector after the other. */
  codes: Int8Array
  scales: Float32Array
  residuals: Float32Array
}

export function segmentBytes(segment: Segment): number {
  return segment.codes.byteLength + segment.ids.byteLength + segment.scales.byteLength + segment.residuals.byteLength
}

export function buildSegment(rows: Array<{ id: number; codes: Uint8Array; scale: number; residual: number }>, dims: number): Segment {
  const segment: Segment = {
    ids: new Float64Array(rows.length), codes: new Int8Array(rows.length * dims),
    scales: new Float32Array(rows.length), residuals: new Float32Array(rows.length)
  }
  rows.forEach((row, i) => {
    segment.ids[i] = row.id
    segment.codes.set(new Int8Array(row.codes.buffer, row.codes.byteOffset, dims), i * dims)
    segment.scales[i] = row.scale
    segment.residuals[i] = row.residual
  })
  return segment
}

/** Keeps the k largest numbers seen (a min-heap); `floor` is the k-th largest, -Infinity before k were seen. */
class TopFloor {
  private readonly heap: number[] = []
  constructor(private readonly k: number) {}
  get floor(): number { return this.heap.length < this.k ? -Infinity : this.heap[0] }
  push(v: number): void {
    const h = this.heap
    if (h.length < this.k) {
      h.push(v)
      for (let i = h.length - 1; i > 0;) {
        const parent = (i - 1) >> 1
        if (h[parent] <= h[i]) break
        ;[h[parent], h[i]] = [h[i], h[parent]]
        i = parent
      }
    } else if (v > h[0]) {
      h[0] = v
      for (let i = 0; ;) {
        const l = 2 * i + 1, r = l + 1
        let m = i
        if (l < h.length && h[l] < h[m]) m = l
        if (r < h.length && h[r] < h[m]) m = r
        if (m === i) break
        ;[h[m], h[i]] = [h[i], h[m]]
        i = m
      }
    }
  }
}

/**
 * First stage over any number of segments, fed one at a time (from a cache
 * or streamed from the database): keeps each vector's upper bound and the
 * k-th largest lower bound, then names the candidates.
 */
export class CandidateScan {
  private readonly lower: TopFloor
  private readonly seen: Array<{ ids: Float64Array; upper: Float64Array }> = []
  private readonly query: Float64Array
  private readonly margin: number

  constructor(query: ArrayLike<number>, k: number) {
    this.query = Float64Array.from(query)
    this.lower = new TopFloor(k)
    let norm = 0
    for (const v of this.query) norm += v * v
    this.margin = Math.sqrt(norm)
  }

  add(segment: Segment): void {
    const y = this.query
    const dims = y.length
    const n = segment.ids.length
    const upper = new Float64Array(n)
    const { codes, scales, residuals } = segment
    for (let i = 0; i < n; i++) {
      let sum = 0
      const base = i * dims
      for (let j = 0; j < dims; j++) sum += codes[base + j] * y[j]
      const a = scales[i] * sum
      const bound = (residuals[i] + SUM_ROUNDING_MARGIN) * this.margin
      upper[i] = a + bound
      this.lower.push(a - bound)
    }
    this.seen.push({ ids: segment.ids, upper })
  }

  /** Chunks whose exact score may reach the top k (all of it, when fewer than k vectors were scanned). */
  candidates(): number[] {
    const floor = this.lower.floor
    const out: number[] = []
    for (const { ids, upper } of this.seen) {
      for (let i = 0; i < ids.length; i++) if (upper[i] >= floor) out.push(ids[i])
    }
    return out
  }
}

/** The exact score: float64 sum, in dimension order, of the float4 components times the question's. */
export function dot(x: Float32Array, y: ArrayLike<number>): number {
  let sum = 0
  for (let i = 0; i < x.length; i++) sum += x[i] * y[i]
  return sum
}

/** The k best of exactly scored vectors: highest score first, ties by the smaller id. */
export function topExact(scored: Array<{ id: number; similarity: number }>, k: number): Array<{ id: number; similarity: number }> {
  return scored.sort((a, b) => b.similarity - a.similarity || a.id - b.id).slice(0, k)
}
