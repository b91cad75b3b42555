/**
 * The same piece of JavaScript (parse and serialise a small JSON body twenty times, roughly what a
 * request's own work is) timed back to back and right after the process slept, as a request at a
 * reviewer's pace finds the machine: on a virtual machine whose idle cores halt, the first
 * milliseconds after a wake-up run several times slower (cold caches, the core's clock).
 *   npx tsx bench/cold-cpu.ts
 */
import { quantile } from './support.ts'

const body = JSON.stringify({ decision: 'exclude', note: null, tags: ['a', 'b'], x: Array.from({ length: 50 }, (_, i) => ({ i, s: `abc${i}` })) })
function work(): number {
  let n = 0
  for (let k = 0; k < 20; k++) n += JSON.stringify(JSON.parse(body)).length
  return n
}
for (let i = 0; i < 2000; i++) work() // compiled and warm

const percentile = (times: number[], q: number) => quantile(times, q).toFixed(3)

async function after(pauseMs: number): Promise<string> {
  const times: number[] = []
  for (let i = 0; i < 100; i++) {
    await new Promise((resolve) => (pauseMs > 0 ? setTimeout(resolve, pauseMs) : setImmediate(resolve)))
    const started = performance.now()
    work()
    times.push(performance.now() - started)
  }
  return `p50 ${percentile(times, 0.5)} ms, p90 ${percentile(times, 0.9)} ms`
}
console.log(`back to back: ${await after(0)}`)
console.log(`after 20 ms asleep: ${await after(20)}`)
console.log(`after 250 ms asleep: ${await after(250)}`)

// Right after waking: the k-th repetition of the work, median over 40 wake-ups.
const runs: number[][] = []
for (let i = 0; i < 40; i++) {
  await new Promise((resolve) => setTimeout(resolve, 250))
  const times: number[] = []
  for (let k = 0; k < 8; k++) {
    const started = performance.now()
    work()
    times.push(performance.now() - started)
  }
  runs.push(times)
}
console.log(`after 250 ms asleep, repetitions 1–8 (median ms): ${Array.from({ length: 8 }, (_, k) => percentile(runs.map((r) => r[k]), 0.5)).join(', ')}`)
