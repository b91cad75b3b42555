import { readFileSync } from 'node:fs'
import t, { type Test } from 'tap'
import { metaAnalysis, type MetaAnalysisInput, type PoolingMethod, type StudyInput } from '../../src/synthesis/meta-analysis/index.ts'
import { eggerTest, trimAndFill } from '../../src/synthesis/meta-analysis/bias.ts'
import type { EffectMeasure } from '../../src/synthesis/meta-analysis/effect-sizes.ts'
import { Invalid } from '../../src/errors.ts'

// References computed by metafor (scripts/metafor-fixtures.R); the tests never need R.
interface Case {
  name: string, kind: MetaAnalysisInput['kind'], measure: EffectMeasure, method: PoolingMethod, test: 'z' | 'knha'
  studies: StudyInput[], yi: number[], vi: number[], expected: Record<string, number>
}
const fixtures = JSON.parse(readFileSync(new URL('../fixtures/meta-analysis/metafor.json', import.meta.url), 'utf8')) as {
  cases: Case[], extras: Record<string, Record<string, unknown>>
}

/** Relative tolerance 1e-6 (absolute below 1e-9, where a relative comparison of values that should be 0 means nothing). */
function close(t: Test, actual: number | undefined, expected: number, what: string, tolerance = 1e-6): void {
  const ok = actual !== undefined && Number.isFinite(actual) && Math.abs(actual - expected) <= tolerance * Math.max(Math.abs(expected), 1e-3)
  t.ok(ok, `${what}: ${actual} vs metafor ${expected}`)
}

t.test('every case agrees with metafor', async (t) => {
  t.ok(fixtures.cases.length >= 60, 'the fixture has the cases')
  for (const c of fixtures.cases) {
    const r = metaAnalysis({ kind: c.kind, measure: c.measure, method: c.method, test: c.test, studies: c.studies })
    const e = c.expected
    const yi = r.studies.map((s) => s.yi); const vi = r.studies.map((s) => s.vi)
    // jsonlite writes a vector of one as a number.
    const refYi = ([] as number[]).concat(c.yi); const refVi = ([] as number[]).concat(c.vi)
    refYi.forEach((y, i) => { if (y !== null) { close(t, yi[i], y, `${c.name} yi[${i}]`); close(t, vi[i], refVi[i], `${c.name} vi[${i}]`) } })
    close(t, r.pooled.estimate, e.est, `${c.name} estimate`)
    close(t, r.pooled.se, e.se, `${c.name} se`)
    close(t, r.pooled.stat, e.stat, `${c.name} statistic`)
    close(t, r.pooled.pval, e.pval, `${c.name} p`)
    close(t, r.pooled.ciLb, e.ciLb, `${c.name} CI lower`)
    close(t, r.pooled.ciUb, e.ciUb, `${c.name} CI upper`)
    close(t, r.tau2, e.tau2 ?? 0, `${c.name} tau2`)
    close(t, r.Q, e.Q, `${c.name} Q`)
    close(t, r.Qp, e.Qp, `${c.name} Q p`)
    close(t, r.I2, e.I2, `${c.name} I2`)
    close(t, r.H2, e.H2, `${c.name} H2`)
    if (e.seTau2 !== undefined) close(t, r.seTau2, e.seTau2, `${c.name} se(tau2)`)
    if (e.piLb !== undefined) { close(t, r.predictionInterval?.[0], e.piLb, `${c.name} PI lower`); close(t, r.predictionInterval?.[1], e.piUb, `${c.name} PI upper`) }
    if (e.tau2Lb !== undefined) {
      close(t, r.tau2Ci?.[0], e.tau2Lb, `${c.name} tau2 CI lower`); close(t, r.tau2Ci?.[1], e.tau2Ub, `${c.name} tau2 CI upper`)
      close(t, r.I2Ci?.[0], e.I2Lb, `${c.name} I2 CI lower`); close(t, r.I2Ci?.[1], e.I2Ub, `${c.name} I2 CI upper`)
      close(t, r.H2Ci?.[0], e.H2Lb, `${c.name} H2 CI lower`); close(t, r.H2Ci?.[1], e.H2Ub, `${c.name} H2 CI upper`)
    }
  }
})

const bcg = fixtures.cases.find((c) => c.name === 'bcg RR DL')!
type Extra = Record<string, unknown>
const arr = (x: unknown) => ([] as number[]).concat(x as number[])

for (const method of ['DL', 'REML'] as const) {
  t.test(`leave-one-out, Egger, trim-and-fill and subgroups (${method}) agree with metafor`, async (t) => {
    const l1o = fixtures.extras[`bcg RR ${method} leave1out`] as Record<string, number[]>
    const sub = fixtures.extras[`bcg RR ${method} subgroups`] as { groups: string[], subgroups: Array<Record<string, number> & { group: string }>, Qbetween: number, Qp: number }
    const studies = bcg.studies.map((s, i) => ({ ...s, group: sub.groups[i] }))
    const r = metaAnalysis({ kind: 'binary', measure: 'RR', method, studies })
    t.equal(r.leaveOneOut.length, 13)
    r.leaveOneOut.forEach((o, i) => {
      close(t, o.estimate, l1o.est[i], `leave-one-out ${i} estimate`)
      close(t, o.se, l1o.se[i], `leave-one-out ${i} se`)
      close(t, o.ciLb, l1o.ciLb[i], `leave-one-out ${i} CI lower`)
      close(t, o.tau2, l1o.tau2[i], `leave-one-out ${i} tau2`, method === 'REML' ? 1e-4 : 1e-6)
      close(t, o.I2, l1o.I2[i], `leave-one-out ${i} I2`, method === 'REML' ? 1e-4 : 1e-6)
      close(t, o.Q, l1o.Q[i], `leave-one-out ${i} Q`)
    })
    const egger = fixtures.extras[`bcg RR ${method} egger`] as Record<string, Record<string, number>>
    const s = r.smallStudyEffects!
    close(t, s.egger.stat, egger.lm.stat, "Egger's t"); close(t, s.egger.pval, egger.lm.pval, "Egger's p")
    t.equal(s.egger.df, egger.lm.df); close(t, s.egger.limit, egger.lm.limit, 'limit estimate')
    close(t, s.eggerMetaRegression.stat, egger.rma.stat, "Egger's z (meta-regression)")
    close(t, s.eggerMetaRegression.pval, egger.rma.pval, "Egger's p (meta-regression)")
    const tf = fixtures.extras[`bcg RR ${method} trimfill`] as Extra
    t.equal(s.trimAndFill.k0, tf.k0, 'studies filled'); t.equal(s.trimAndFill.side, tf.side)
    // metafor's trimfill() refits at its default convergence (1e-5), so REML figures agree to 1e-4 only.
    const tol = method === 'REML' ? 1e-4 : 1e-6
    close(t, s.trimAndFill.adjusted.estimate, tf.est as number, 'adjusted estimate', tol)
    close(t, s.trimAndFill.adjusted.se, tf.se as number, 'adjusted se', tol)
    arr(tf.filledYi).forEach((y, i) => close(t, s.trimAndFill.filled[i]?.yi, y, `filled ${i}`, tol))
    t.equal(r.subgroups!.groups.length, sub.subgroups.length)
    for (const g of sub.subgroups) {
      const mine = r.subgroups!.groups.find((x) => x.group === g.group)!
      close(t, mine.estimate, g.est, `${g.group} estimate`); close(t, mine.se, g.se, `${g.group} se`)
      close(t, mine.tau2, g.tau2, `${g.group} tau2`, tol); close(t, mine.Q, g.Q, `${g.group} Q`)
    }
    close(t, r.subgroups!.Qbetween, sub.Qbetween, 'Q between subgroups', tol)
    close(t, r.subgroups!.p, sub.Qp, 'p of the subgroup difference', tol)
  })
}

t.test('trim-and-fill and Egger on the passive-smoking data (Hackshaw 1998)', async (t) => {
  for (const name of ['hackshaw REML trimfill', 'hackshaw FE trimfill']) {
    const ref = fixtures.extras[name] as Extra
    const studies = fixtures.extras['hackshaw REML trimfill'].studies as Array<{ yi: number, se: number }>
    const yi = studies.map((s) => s.yi); const vi = studies.map((s) => s.se ** 2)
    const tf = trimAndFill(yi, vi, name.includes('REML') ? 'REML' : 'FE')
    t.equal(tf.k0, ref.k0, `${name}: k0`); t.equal(tf.side, ref.side, `${name}: side`)
    arr(ref.filledYi).forEach((y, i) => close(t, tf.filled[i].yi, y, `${name}: filled ${i}`, 1e-4))
  }
  const studies = fixtures.extras['hackshaw REML trimfill'].studies as Array<{ yi: number, se: number }>
  const eg = eggerTest(studies.map((s) => s.yi), studies.map((s) => s.se ** 2), 'lm')
  const ref = fixtures.extras['hackshaw REML trimfill'].egger as Record<string, number>
  close(t, eg.stat, ref.stat, "Egger's t"); close(t, eg.pval, ref.pval, "Egger's p"); close(t, eg.limit, ref.limit, 'limit')
})

t.test('generic input from confidence intervals on the ratio scale', async (t) => {
  // OR 2.0 (95% CI 1.0–4.0): log OR = ln 2, SE = ln 4 / (2 × 1.959964) = 0.35365.
  const r = metaAnalysis({ kind: 'generic', measure: 'GEN', method: 'FE', ratioScale: true, studies: [{ id: 'a', yi: 2, lower: 1, upper: 4 }] })
  close(t, r.studies[0].yi, Math.log(2), 'log OR')
  close(t, r.studies[0].se, Math.log(4) / (2 * 1.959963984540054), 'SE from the interval')
  t.equal(r.logScale, true)
})

t.test('bad input is refused with the field named', async (t) => {
  const bad = (input: Partial<MetaAnalysisInput>, field: RegExp) => {
    try {
      metaAnalysis({ kind: 'binary', measure: 'OR', method: 'DL', studies: bcg.studies, ...input } as MetaAnalysisInput)
      t.fail(`accepted ${JSON.stringify(input).slice(0, 80)}`)
    } catch (err) {
      t.type(err, Invalid); t.match((err as Invalid).field, field)
    }
  }
  bad({ studies: [] }, /^studies$/)
  bad({ studies: [{ id: 'x', events1: 5, total1: 4, events2: 1, total2: 10 }] }, /studies\[0\]\.events1/)
  bad({ studies: [{ id: 'x', events1: -1, total1: 4, events2: 1, total2: 10 }] }, /studies\[0\]\.events1/)
  bad({ method: 'PETO', measure: 'RR' }, /measure/)
  bad({ measure: 'SMD' }, /measure/)
  bad({ method: 'MH', test: 'knha' }, /test/)
  bad({ level: 1.5 }, /level/)
  bad({ studies: [bcg.studies[0], bcg.studies[0]] }, /studies\[1\]\.id/)
  bad({ kind: 'continuous', measure: 'SMD', studies: [{ id: 'x', mean1: 1, sd1: -1, n1: 10, mean2: 0, sd2: 1, n2: 10 }] }, /sd1/)
})

t.test('forest and funnel plots draw every study, subgroup and the overall diamond', async (t) => {
  const { forestPlotSvg, funnelPlotSvg } = await import('../../src/synthesis/meta-analysis/plots.ts')
  const sub = fixtures.extras['bcg RR REML subgroups'] as { groups: string[] }
  const r = metaAnalysis({ kind: 'binary', measure: 'RR', method: 'REML', studies: bcg.studies.map((s, i) => ({ ...s, label: `Trial <${s.id}> & co`, group: sub.groups[i] })) })
  const svg = forestPlotSvg(r, { title: 'BCG' })
  t.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/)
  t.equal(svg.match(/<g class="study">/g)?.length, 13, 'one row per study')
  t.equal(svg.match(/<g class="subtotal">/g)?.length, 3, 'one diamond per subgroup')
  t.equal(svg.match(/<g class="overall">/g)?.length, 1, 'the overall diamond')
  t.equal(svg.match(/<g class="prediction">/g)?.length, 1, 'the prediction interval')
  t.notMatch(svg, /Trial <1>/, 'labels are escaped'); t.match(svg, /Trial &lt;1&gt; &amp; co/)
  // Ratios are shown on their natural scale: the pooled RR of the BCG trials is 0.49 [0.34, 0.70].
  t.match(svg, />0\.49 \[0\.34, 0\.70\]</)
  t.match(svg, /Risk ratio \(log scale\)/)
  t.match(svg, /Test for subgroup differences: Q = 1\.86 \(df = 2\)/)
  // Squares are sized by weight: the heaviest study has the largest square.
  const sides = [...svg.matchAll(/<rect x="[^"]+" y="[^"]+" width="([\d.]+)"[^>]*fill="#1f4e79"/g)].map((m) => Number(m[1]))
  const heaviest = r.studies.reduce((best, s, i) => (s.weight > r.studies[best].weight ? i : best), 0)
  const order = r.studies.map((s, i) => i).sort((a, b) => (sub.groups[a] === sub.groups[b] ? a - b : sub.groups.indexOf(sub.groups[a]) - sub.groups.indexOf(sub.groups[b])))
  const groupOrder = [...new Set(sub.groups)]
  const drawn = groupOrder.flatMap((g) => order.filter((i) => sub.groups[i] === g))
  t.equal(sides[drawn.indexOf(heaviest)], Math.max(...sides))
  const funnel = funnelPlotSvg(r, { showFilled: true })
  t.equal(funnel.match(/class="study"/g)?.length, 13)
  t.equal(funnel.match(/class="filled-in"/g)?.length ?? 0, r.smallStudyEffects!.trimAndFill.k0)
})
