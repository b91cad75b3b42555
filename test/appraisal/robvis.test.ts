import t from 'tap'
import { deriveJudgements, ROB1, ROB2, ROBINS_I } from '../../src/appraisal/index.ts'
import { rowOf, summaryPlot, summaryShares, trafficLightPlot, type RobRow } from '../../src/appraisal/robvis.ts'
import { Invalid } from '../../src/errors.ts'

const circles = (svg: string, cls: string) => [...svg.matchAll(new RegExp(`<circle class="${cls}"[^>]*>`, 'g'))].map((m) => m[0])
const attr = (el: string, name: string) => el.match(new RegExp(`${name}="([^"]*)"`))![1]

const LOW = { 1.1: 'Y', 1.2: 'Y', 1.3: 'N', 2.1: 'N', 2.2: 'N', 2.6: 'Y', 3.1: 'Y', 4.1: 'N', 4.2: 'N', 4.3: 'N', 5.1: 'Y', 5.2: 'N', 5.3: 'N' }
const rob2Rows: RobRow[] = [
  rowOf('Smith & Jones <2019>', deriveJudgements(ROB2, { answers: LOW }), 50), // all low
  rowOf('Lee 2020', deriveJudgements(ROB2, { answers: { ...LOW, 5.1: 'NI' } }), 30), // D5 some concerns
  rowOf('Khan 2021', deriveJudgements(ROB2, { answers: { ...LOW, 1.2: 'N', 5.1: 'N' } }), 20) // D1 high, D5 some concerns
]

t.test('traffic-light plot: one circle per study and column, robvis colours and symbols', async (t) => {
  const svg = trafficLightPlot(ROB2, rob2Rows, { title: 'Primary outcome' })
  const cells = circles(svg, 'judgement')
  t.equal(cells.length, 3 * 6, '3 studies × (5 domains + overall)')
  const count = (j: string) => cells.filter((c) => attr(c, 'data-judgement') === j).length
  // Domains: 15 cells, 2 not low (Lee D5, Khan D5) + Khan D1 high; overall: low, some concerns, high.
  t.equal(count('low'), 12 + 1)
  t.equal(count('some concerns'), 2 + 1)
  t.equal(count('high'), 1 + 1)
  for (const c of cells) t.equal(attr(c, 'fill'), { low: '#02C100', 'some concerns': '#E2DF07', high: '#BF0000' }[attr(c, 'data-judgement')!])
  const khanD1 = cells.find((c) => attr(c, 'data-study') === '2' && attr(c, 'data-domain') === 'D1')!
  t.equal(attr(khanD1, 'data-judgement'), 'high')
  t.match(svg, '>Smith &amp; Jones &lt;2019&gt;</text>', 'study label escaped')
  t.notMatch(svg, '<2019>')
  t.match(svg, '>Overall</text>')
  t.match(svg, 'D3: Bias due to missing outcome data.', 'domain key')
  t.equal(circles(svg, 'legend').length, 3, 'legend: the three RoB 2 judgements')
  t.equal(trafficLightPlot(ROB2, rob2Rows, { overall: false }).match(/<circle class="judgement"/g)!.length, 15, 'without the overall column')
})

t.test('traffic-light plot for ROBINS-I and RoB 1 scales', async (t) => {
  const svg = trafficLightPlot(ROBINS_I, [{ study: 'Cohort A', domains: { D1: 'critical', D2: 'serious', D3: 'moderate', D4: 'no information', D5: 'low', D6: 'low', D7: 'low' }, overall: 'critical' }])
  const fills = Object.fromEntries(circles(svg, 'judgement').map((c) => [attr(c, 'data-domain'), attr(c, 'fill')]))
  t.same(fills, { D1: '#820000', D2: '#BF0000', D3: '#E2DF07', D4: '#4EA1F7', D5: '#02C100', D6: '#02C100', D7: '#02C100', overall: '#820000' })
  t.equal(circles(svg, 'legend').length, 5)
  const rob1 = trafficLightPlot(ROB1, [{ study: 'Trial', domains: { D1: 'unclear' } }], { overall: false })
  t.equal(circles(rob1, 'judgement').length, 1, 'a domain not judged is left blank')
  t.match(rob1, 'D7: Other bias.')
  t.throws(() => trafficLightPlot(ROB1, [{ study: 'Trial', domains: { D1: 'some concerns' } }]), Invalid)
  t.throws(() => trafficLightPlot(ROB1, []), /no assessed study/)
})

t.test('summary bar plot: shares per domain, by count and weighted, computed by hand', async (t) => {
  const unweighted = summaryShares(ROB2, rob2Rows)
  // D1: 2 low, 1 high of 3 → 66.7 %, 33.3 %. D5: 1 low, 2 some concerns. Overall: one of each.
  t.same(unweighted.find((d) => d.id === 'D1')!.shares, { low: 2 / 3, 'some concerns': 0, high: 1 / 3 })
  t.same(unweighted.find((d) => d.id === 'D5')!.shares, { low: 1 / 3, 'some concerns': 2 / 3, high: 0 })
  const svg = summaryPlot(ROB2, rob2Rows)
  const shares = [...svg.matchAll(/<rect class="share" data-domain="([^"]+)" data-judgement="([^"]+)" data-percent="([^"]+)"/g)].map((m) => `${m[1]} ${m[2]} ${m[3]}`)
  t.same(shares, ['D1 low 66.7', 'D1 high 33.3', 'D2 low 100', 'D3 low 100', 'D4 low 100', 'D5 low 33.3', 'D5 some concerns 66.7',
    'overall low 33.3', 'overall some concerns 33.3', 'overall high 33.3'])
  t.match(svg, '>66.7%</text>')
  t.match(svg, 'fill="#BF0000"')
  // Weighted by 50, 30, 20: D1 high = 20 %; D5 some concerns = 30 + 20 = 50 %; overall: 50 / 30 / 20.
  const weighted = summaryPlot(ROB2, rob2Rows, { weighted: true })
  t.match(weighted, 'data-domain="D1" data-judgement="high" data-percent="20"')
  t.match(weighted, 'data-domain="D5" data-judgement="some concerns" data-percent="50"')
  t.match(weighted, 'data-domain="overall" data-judgement="low" data-percent="50"')
  t.match(weighted, 'data-domain="overall" data-judgement="some concerns" data-percent="30"')
  t.throws(() => summaryPlot(ROB2, [{ ...rob2Rows[0]!, weight: undefined }], { weighted: true }), /study "Smith & Jones <2019>" has no weight/)
  const partial = summaryShares(ROB1, [{ study: 'A', domains: { D1: 'low' } }, { study: 'B', domains: { D1: 'high', D2: 'unclear' } }], { overall: false })
  t.match(partial[1], { id: 'D2', studies: 1, shares: { unclear: 1 } }, 'studies without a judgement are left out of a domain')
})
