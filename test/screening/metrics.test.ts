import t from 'tap'
import { averageTimeToDiscovery, recallCurve, rrf, screeningMetrics, timeToDiscovery, wss } from '../../src/screening/metrics.ts'
import { createRng } from '../../src/screening/random.ts'
import { readFileSync } from 'node:fs'

interface OrderFixture { name: string, labels: string, wss95: number, wss100: number, rrf10: number, atd: number, atdRecords: number }
// Fixed orders with the metrics asreview-insights' formulas give, computed by metrics-orders.py with numpy.
const orders: OrderFixture[] = JSON.parse(readFileSync(new URL('../fixtures/screening/metrics-orders.json', import.meta.url), 'utf8'))

t.test('metrics of a short order, computed by hand (and checked against asreview-insights)', async (t) => {
  // N = 10, R = 2, both relevant records first.
  const labels = [1, 1, 0, 0, 0, 0, 0, 0, 0, 0]
  // RRF@10: the largest i with i/10 ≤ 0.1 is 1; found(1) = 1 → 1/2.
  t.equal(rrf(labels, 0.1), 0.5)
  // Random baseline round(linspace(0, 2, 10)) = [0 0 0 1 1 1 1 2 2 2].
  // WSS@95: k = 1 (1/2 ≤ 0.95 < 2/2); t_1 = 0; random reaches 1 at index 3 → (3 − 0)/10 = 0.3.
  t.equal(wss(labels, 0.95), 0.3)
  // WSS@100: k = 2; t_2 = 1; random reaches 2 at index 7 → (7 − 1)/10 = 0.6.
  t.equal(wss(labels, 1), 0.6)
  // TD = positions 1 and 2 → ATD = 1.5 records = 15% of 10.
  t.same(timeToDiscovery(labels), [1, 2])
  t.same(averageTimeToDiscovery(labels), { records: 1.5, fraction: 0.15 })
  t.same([...recallCurve(labels)].slice(0, 3), [0.5, 1, 1])
  t.same(screeningMetrics(labels), { wss95: 0.3, wss100: 0.6, rrf10: 0.5, atd: 0.15, atdRecords: 1.5 })
})

t.test('metrics of fixed orders equal asreview-insights\' formulas (fixture computed with numpy)', async (t) => {
  t.ok(orders.length >= 10)
  for (const { name, labels, ...expected } of orders) {
    const got = screeningMetrics([...labels].map(Number))
    for (const key of ['wss95', 'wss100', 'rrf10', 'atd', 'atdRecords'] as const) {
      t.ok(Math.abs(got[key] - expected[key]) < 1e-12, `${name}: ${key} ${got[key]}, insights ${expected[key]}`)
    }
  }
})

t.test('WSS@95 looks at the floor(0.95·R)-th relevant record, as asreview-insights does', async (t) => {
  // R = 8: 0.95·8 = 7.6 → the 7th relevant record (recall 87.5%), so the last one does not count.
  const labels = new Array<number>(100).fill(0)
  for (let i = 0; i < 7; i++) labels[i] = 1
  labels[99] = 1
  const late = wss(labels, 0.95)
  labels[99] = 0
  labels[7] = 1
  t.equal(wss(labels, 0.95), late, 'moving the 8th relevant record does not change WSS@95')
  t.ok(wss(labels, 1) > wss([...labels.slice(0, 7), 0, ...labels.slice(8, 99), 1], 1), '…but it does change WSS@100')
})

t.test('a random order scores about zero WSS and 10% RRF@10 on average', async (t) => {
  const rng = createRng(3)
  let wssSum = 0
  let rrfSum = 0
  const runs = 300
  for (let r = 0; r < runs; r++) {
    const labels = new Array<number>(1000).fill(0)
    for (let i = 0; i < 50; i++) labels[i] = 1
    rng.shuffle(labels)
    wssSum += wss(labels, 0.95)
    rrfSum += rrf(labels, 0.1)
  }
  t.ok(Math.abs(wssSum / runs) < 0.02, `mean WSS@95 ${wssSum / runs}`)
  t.ok(Math.abs(rrfSum / runs - 0.1) < 0.01, `mean RRF@10 ${rrfSum / runs}`)
})

t.test('orders without relevant records have undefined metrics', async (t) => {
  t.ok(Number.isNaN(wss([0, 0, 0], 0.95)))
  t.ok(Number.isNaN(rrf([0, 0], 0.1)))
  t.ok(Number.isNaN(averageTimeToDiscovery([0]).records))
  t.equal(rrf([1, 0, 0], 0.1), 0, 'no record fits in the first 10% of 3')
})
