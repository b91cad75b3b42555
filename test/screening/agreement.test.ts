import t from 'tap'
import {
  cohensKappa, cohensKappaForRaters, fleissKappa, fleissKappaForDecisions, fleissKappaFromCounts, interpretKappa, percentAgreement
} from '../../src/screening/agreement.ts'

t.test("Cohen's kappa: Wikipedia's two-rater yes/no example gives 0.4", async (t) => {
  // 50 grant proposals: both yes 20, A yes/B no 5, A no/B yes 10, both no 15.
  // Po = (20 + 15)/50 = 0.70. A says yes 25/50 = 0.5, B says yes 30/50 = 0.6.
  // Pe = 0.5·0.6 + 0.5·0.4 = 0.50.  κ = (0.70 − 0.50)/(1 − 0.50) = 0.40 → "fair".
  const a: string[] = []
  const b: string[] = []
  const add = (x: string, y: string, n: number) => { for (let i = 0; i < n; i++) { a.push(x); b.push(y) } }
  add('yes', 'yes', 20); add('yes', 'no', 5); add('no', 'yes', 10); add('no', 'no', 15)
  const result = cohensKappa(a, b)
  t.equal(result.items, 50)
  t.ok(Math.abs(result.observedAgreement - 0.7) < 1e-12)
  t.ok(Math.abs(result.percentAgreement - 70) < 1e-9)
  t.ok(Math.abs(result.expectedAgreement - 0.5) < 1e-12)
  t.ok(Math.abs(result.kappa! - 0.4) < 1e-12)
  t.equal(result.interpretation, 'fair')
  t.same(result.confusion, { yes: { yes: 20, no: 5 }, no: { yes: 10, no: 15 } })
})

t.test("Cohen's kappa over include/exclude/maybe, computed by hand", async (t) => {
  //        A        B
  //  1  include  include      4  exclude exclude     7  exclude exclude    10  maybe include
  //  2  include  include      5  exclude exclude     8  exclude maybe
  //  3  include  exclude      6  exclude exclude     9  maybe   maybe
  // Agreements: 2 include + 4 exclude + 1 maybe = 7 → Po = 0.7.
  // Marginals A: include 3, exclude 5, maybe 2; B: include 3, exclude 5, maybe 2.
  // Pe = (3·3 + 5·5 + 2·2)/100 = 0.38.  κ = (0.7 − 0.38)/0.62 = 0.516129… → "moderate".
  const a = ['include', 'include', 'include', 'exclude', 'exclude', 'exclude', 'exclude', 'exclude', 'maybe', 'maybe']
  const b = ['include', 'include', 'exclude', 'exclude', 'exclude', 'exclude', 'exclude', 'maybe', 'maybe', 'include']
  const result = cohensKappa(a, b)
  t.ok(Math.abs(result.expectedAgreement - 0.38) < 1e-12)
  t.ok(Math.abs(result.kappa! - 0.32 / 0.62) < 1e-12)
  t.equal(result.interpretation, 'moderate')
  t.equal(percentAgreement(a, b), 70)
})

t.test('items one rater did not rate are left out', async (t) => {
  const result = cohensKappa(['include', null, 'exclude', 'exclude'], ['include', 'exclude', undefined, 'exclude'])
  t.equal(result.items, 2)
  t.equal(result.percentAgreement, 100)
  t.throws(() => cohensKappa(['include'], []), RangeError)
})

t.test('systematic disagreement is negative ("poor"); agreement no better than chance is 0', async (t) => {
  // Po = 0, Pe = 0.5·0.5 + 0.5·0.5 = 0.5 → κ = −1.
  const opposite = cohensKappa(['include', 'exclude'], ['exclude', 'include'])
  t.equal(opposite.kappa, -1)
  t.equal(opposite.interpretation, 'poor')
  // A always says include; B says include 3 times of 4. Po = 0.75, Pe = 1·0.75 + 0·0.25 = 0.75 → κ = 0,
  // although the raters agree on 75% of the records.
  const chance = cohensKappa(['include', 'include', 'include', 'include'], ['include', 'include', 'include', 'exclude'])
  t.equal(chance.kappa, 0)
  t.equal(chance.percentAgreement, 75)
  t.equal(chance.interpretation, 'slight')
})

t.test('all ratings in one category: kappa is undefined (null), agreement is 100%', async (t) => {
  const result = cohensKappa(['exclude', 'exclude', 'exclude'], ['exclude', 'exclude', 'exclude'])
  t.equal(result.kappa, null)
  t.equal(result.interpretation, 'undefined')
  t.equal(result.percentAgreement, 100)
  t.equal(result.expectedAgreement, 1)
  const empty = cohensKappa([], [])
  t.equal(empty.items, 0)
  t.equal(empty.kappa, null)
  const fleiss = fleissKappa([['include', 'include'], ['include', 'include', 'include']])
  t.equal(fleiss.kappa, null)
  t.equal(fleiss.percentAgreement, 100)
})

t.test('Landis & Koch bands', async (t) => {
  t.equal(interpretKappa(-0.01), 'poor')
  t.equal(interpretKappa(0), 'slight')
  t.equal(interpretKappa(0.2), 'slight')
  t.equal(interpretKappa(0.21), 'fair')
  t.equal(interpretKappa(0.41), 'moderate')
  t.equal(interpretKappa(0.61), 'substantial')
  t.equal(interpretKappa(0.8), 'substantial')
  t.equal(interpretKappa(0.81), 'almost perfect')
  t.equal(interpretKappa(1), 'almost perfect')
  t.equal(interpretKappa(null), 'undefined')
})

t.test("Fleiss' kappa: Wikipedia's worked example (10 items, 14 raters, 5 categories) gives 0.210", async (t) => {
  const counts = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7]
  ]
  // P_i = Σ_j n_ij(n_ij − 1) / (14·13): row 1 = 182/182 = 1, row 2 = (2 + 30 + 12 + 2)/182 = 46/182, …
  // Σ_i P_i = (182 + 46 + 56 + 80 + 60 + 84 + 44 + 32 + 52 + 52)/182 = 688/182 → P̄ = 68.8/182 = 0.378022.
  // Column totals 20, 28, 39, 21, 32 of 140 → p_j = 0.143, 0.200, 0.279, 0.150, 0.229.
  // P̄e = (20² + 28² + 39² + 21² + 32²)/140² = 4170/19600 = 0.212755.
  // κ = (0.378022 − 0.212755)/(1 − 0.212755) = 0.209930.
  const result = fleissKappaFromCounts(counts)
  t.equal(result.items, 10)
  t.equal(result.equalRaterCounts, true)
  t.ok(Math.abs(result.observedAgreement - 688 / 1820) < 1e-12)
  t.ok(Math.abs(result.expectedAgreement - 4170 / 19600) < 1e-12)
  t.ok(Math.abs(result.kappa! - (688 / 1820 - 4170 / 19600) / (1 - 4170 / 19600)) < 1e-12)
  t.equal(result.kappa!.toFixed(3), '0.210')
  t.equal(result.interpretation, 'fair')
  t.same(result.categoryProportions.map((p) => p.toFixed(3)), ['0.143', '0.200', '0.279', '0.150', '0.229'])
})

t.test("Fleiss' kappa with two raters per item equals Scott's pi", async (t) => {
  // The Cohen example above pooled: yes = (25 + 30)/100 = 0.55, no = 0.45, Pe = 0.55² + 0.45² = 0.505,
  // Po = 0.7 → π = (0.7 − 0.505)/(1 − 0.505) = 0.393939…
  const items: string[][] = []
  const add = (x: string, y: string, n: number) => { for (let i = 0; i < n; i++) items.push([x, y]) }
  add('yes', 'yes', 20); add('yes', 'no', 5); add('no', 'yes', 10); add('no', 'no', 15)
  const result = fleissKappa(items)
  t.ok(Math.abs(result.kappa! - 0.195 / 0.495) < 1e-12)
})

t.test("Fleiss' kappa for items rated by varying subsets of raters (Gwet's generalisation)", async (t) => {
  // item 1: include ×3          P = 3·2/(3·2) = 1
  // item 2: include, exclude    P = 0
  // item 3: exclude ×4          P = 4·3/(4·3) = 1
  // item 4: maybe (one rating)  skipped: no pair to agree or disagree
  // Po = 2/3. π_include = (3/3 + 1/2 + 0)/3 = 0.5, π_exclude = 0.5 → Pe = 0.5 → κ = (2/3 − 1/2)/(1/2) = 1/3.
  const result = fleissKappa([
    ['include', 'include', 'include'],
    ['include', 'exclude'],
    ['exclude', 'exclude', 'exclude', 'exclude'],
    ['maybe', null]
  ])
  t.equal(result.items, 3)
  t.equal(result.skippedItems, 1)
  t.equal(result.equalRaterCounts, false)
  t.ok(Math.abs(result.observedAgreement - 2 / 3) < 1e-12)
  t.ok(Math.abs(result.expectedAgreement - 0.5) < 1e-12)
  t.ok(Math.abs(result.kappa! - 1 / 3) < 1e-12)
})

t.test('decisions stored as (item, rater, decision) rows', async (t) => {
  const rows = [
    { item: 1, rater: 'ana', decision: 'include' }, { item: 1, rater: 'ben', decision: 'include' }, { item: 1, rater: 'cy', decision: 'include' },
    { item: 2, rater: 'ana', decision: 'exclude' }, { item: 2, rater: 'ben', decision: 'include' },
    { item: 3, rater: 'ana', decision: 'exclude' }, { item: 3, rater: 'ben', decision: 'exclude' },
    { item: 3, rater: 'ben', decision: 'exclude' } // the same decision recorded twice counts once
  ]
  const fleiss = fleissKappaForDecisions(rows)
  t.equal(fleiss.items, 3)
  const pair = cohensKappaForRaters(rows, 'ana', 'ben')
  t.equal(pair.items, 3)
  t.equal(pair.percentAgreement, (2 / 3) * 100)
  t.equal(cohensKappaForRaters(rows, 'ana', 'cy').items, 1)
})
