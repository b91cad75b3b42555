/**
 * Seeded pseudo-random numbers, so that a screening order or a simulation can
 * be replayed exactly from its seed. Mulberry32 with the seed first mixed by
 * SplitMix32: small, fast and good enough for sampling and shuffling (not for
 * anything security-related).
 */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number
  /** Uniform integer in [0, n). */
  int(n: number): number
  /** Shuffles the array in place (Fisher–Yates) and returns it. */
  shuffle<T extends { length: number, [i: number]: unknown }>(array: T): T
  /** k distinct elements of `items`, in random order. */
  sample<T>(items: readonly T[], k: number): T[]
}

export function createRng(seed: number): Rng {
  let state = splitmix32(seed >>> 0 ^ Math.floor(seed / 2 ** 32))
  const next = () => {
    state = (state + 0x6d2b79f5) | 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number) => Math.floor(next() * n)
  return {
    next,
    int,
    shuffle(array) {
      for (let i = array.length - 1; i > 0; i--) {
        const j = int(i + 1)
        const tmp = array[i]
        array[i] = array[j]
        array[j] = tmp
      }
      return array
    },
    sample(items, k) {
      if (k > items.length) throw new RangeError(`cannot sample ${k} of ${items.length} items`)
      const copy = items.slice()
      // Partial Fisher–Yates: the first k positions end up a uniform sample.
      for (let i = 0; i < k; i++) {
        const j = i + int(copy.length - i)
        const tmp = copy[i]
        copy[i] = copy[j]
        copy[j] = tmp
      }
      return copy.slice(0, k)
    }
  }
}

function splitmix32(seed: number): number {
  let z = (seed + 0x9e3779b9) | 0
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  return (z ^ (z >>> 16)) | 0
}

/** A random permutation of 0..n-1 (as a typed array). */
export function randomPermutation(n: number, rng: Rng): Int32Array {
  const order = new Int32Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  return rng.shuffle(order)
}
