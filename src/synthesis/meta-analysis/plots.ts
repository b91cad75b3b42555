/**
 * Forest and funnel plots as standalone SVG documents, drawn from a
 * MetaAnalysisResult: squares sized by weight with their intervals, a diamond
 * per subgroup and overall, the prediction interval, heterogeneity figures,
 * estimates and weights in columns; ratio measures on a log axis labelled in
 * ratios.
 */
import { escapeXml, niceTicks, px, textWidth } from '../../charts/svg.ts'
import type { MetaAnalysisResult, Pooled } from './index.ts'

const MEASURE_NAMES: Record<string, string> = {
  OR: 'Odds ratio', RR: 'Risk ratio', RD: 'Risk difference', MD: 'Mean difference', SMD: "Standardised mean difference (Hedges' g)", GEN: 'Effect'
}
const METHOD_NAMES: Record<string, string> = {
  FE: 'fixed effect', DL: 'random effects, DerSimonian–Laird', REML: 'random effects, REML', PM: 'random effects, Paule–Mandel', MH: 'Mantel–Haenszel', PETO: 'Peto'
}

export interface PlotOptions { title?: string, fontSize?: number }

function formatNumber(v: number, digits = 2): string {
  if (!Number.isFinite(v)) return '–'
  return v.toFixed(digits).replace('-', '−')
}
function formatP(p: number): string {
  return p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`
}

/** The axis transform: effects are drawn on their analysis scale; ratio measures are labelled with exp(). */
function axis(result: MetaAnalysisResult, lo: number, hi: number): { ticks: Array<{ at: number, label: string }>, nullAt: number } {
  if (!result.logScale) return { ticks: niceTicks(lo, hi, 6).map((v) => ({ at: v, label: formatNumber(v, Math.abs(hi - lo) < 2 ? 2 : 1) })), nullAt: 0 }
  const candidates = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 4, 5, 10, 20, 50, 100, 200, 500, 1000]
  let ticks = candidates.filter((r) => Math.log(r) >= lo - 1e-9 && Math.log(r) <= hi + 1e-9)
  if (ticks.length > 7) ticks = ticks.filter((r) => [0.001, 0.01, 0.1, 0.5, 1, 2, 10, 100, 1000].includes(r))
  return { ticks: ticks.map((r) => ({ at: Math.log(r), label: String(r) })), nullAt: 0 }
}

const shown = (result: MetaAnalysisResult, v: number) => formatNumber(result.logScale ? Math.exp(v) : v)
const interval = (result: MetaAnalysisResult, e: number, lb: number, ub: number) => `${shown(result, e)} [${shown(result, lb)}, ${shown(result, ub)}]`

type Row =
  | { kind: 'study', label: string, yi: number, ciLb: number, ciUb: number, weight: number }
  | { kind: 'heading', label: string }
  | { kind: 'diamond', label: string, pooled: Pooled, weight?: number, overall: boolean }
  | { kind: 'note', label: string }
  | { kind: 'prediction', from: number, to: number }

export function forestPlotSvg(result: MetaAnalysisResult, options: PlotOptions = {}): string {
  const size = options.fontSize ?? 12
  const rowH = Math.round(size * 1.75)
  const rows: Row[] = []
  const studyRow = (s: MetaAnalysisResult['studies'][number]): Row => ({ kind: 'study', label: s.label ?? s.id, yi: s.yi, ciLb: s.ciLb, ciUb: s.ciUb, weight: s.weight })
  if (result.subgroups) {
    for (const g of result.subgroups.groups) {
      rows.push({ kind: 'heading', label: g.group })
      for (const s of result.studies.filter((x) => x.group === g.group)) rows.push(studyRow(s))
      rows.push({ kind: 'diamond', label: `Subgroup (k = ${g.k})`, pooled: g, overall: false })
      rows.push({ kind: 'note', label: `Heterogeneity: τ² = ${formatNumber(g.tau2, 3)}; I² = ${formatNumber(g.I2, 1)}%` })
    }
  } else {
    for (const s of result.studies) rows.push(studyRow(s))
  }
  rows.push({ kind: 'diamond', label: `Overall (${METHOD_NAMES[result.method]}, k = ${result.pooled.k})`, pooled: result.pooled, weight: 100, overall: true })
  if (result.predictionInterval) rows.push({ kind: 'prediction', from: result.predictionInterval[0], to: result.predictionInterval[1] })
  rows.push({ kind: 'note', label: `Heterogeneity: τ² = ${formatNumber(result.tau2, 3)}; I² = ${formatNumber(result.I2, 1)}%; Q = ${formatNumber(result.Q)} (df = ${result.Qdf}), ${formatP(result.Qp)}` })
  rows.push({ kind: 'note', label: `Overall effect: ${result.test === 'knha' ? 't' : 'z'} = ${formatNumber(result.pooled.stat)}, ${formatP(result.pooled.pval)}` })
  if (result.subgroups) rows.push({ kind: 'note', label: `Test for subgroup differences: Q = ${formatNumber(result.subgroups.Qbetween)} (df = ${result.subgroups.df}), ${formatP(result.subgroups.p)}` })

  const labelW = Math.min(280, Math.max(120, ...rows.filter((r) => r.kind === 'study' || r.kind === 'heading').map((r) => textWidth((r as { label: string }).label, size) + 12)))
  const plotW = 340
  const ciW = textWidth('−00.00 [−00.00, −00.00]', size) + 16
  const weightW = 64
  const margin = 16
  const width = Math.ceil(margin * 2 + labelW + plotW + ciW + weightW)
  const top = margin + (options.title ? size * 2 : 0) + rowH
  const studiesBottom = top + rows.length * rowH
  const height = Math.ceil(studiesBottom + rowH * 2.5 + margin)

  const values = result.studies.flatMap((s) => [s.ciLb, s.ciUb]).concat([result.pooled.ciLb, result.pooled.ciUb], result.predictionInterval ?? [])
  let lo = Math.min(...values, 0); let hi = Math.max(...values, 0)
  const pad = (hi - lo) * 0.05 || 1
  lo -= pad; hi += pad
  const { ticks, nullAt } = axis(result, lo, hi)
  const x0 = margin + labelW
  const sx = (v: number) => x0 + (Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo) * plotW
  const ciX = x0 + plotW + ciW - 8
  const weightX = ciX + weightW
  const out: string[] = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="${size}" role="img">`)
  out.push(`<title>${escapeXml(options.title ?? `Forest plot: ${MEASURE_NAMES[result.measure]}`)}</title>`)
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`)
  if (options.title) out.push(`<text x="${margin}" y="${margin + size}" font-size="${size + 3}" font-weight="bold">${escapeXml(options.title)}</text>`)
  const headY = top - rowH / 3
  out.push(`<g class="header" font-weight="bold"><text x="${margin}" y="${px(headY)}">Study</text><text x="${px(ciX)}" y="${px(headY)}" text-anchor="end">${escapeXml(`${MEASURE_NAMES[result.measure]} [${Math.round(result.level * 100)}% CI]`)}</text><text x="${px(weightX)}" y="${px(headY)}" text-anchor="end">Weight</text></g>`)
  out.push(`<line class="null" x1="${px(sx(nullAt))}" y1="${px(top)}" x2="${px(sx(nullAt))}" y2="${px(studiesBottom)}" stroke="#999999" stroke-dasharray="3 3"/>`)
  const maxWeight = Math.max(...result.studies.map((s) => s.weight), 1e-9)
  rows.forEach((row, i) => {
    const cy = top + i * rowH + rowH / 2
    const ty = cy + size * 0.35
    if (row.kind === 'heading') out.push(`<text class="subgroup" x="${margin}" y="${px(ty)}" font-weight="bold">${escapeXml(row.label)}</text>`)
    if (row.kind === 'note') out.push(`<text class="note" x="${margin}" y="${px(ty)}" font-size="${size - 1}" fill="#444444">${escapeXml(row.label)}</text>`)
    if (row.kind === 'study') {
      const side = 4 + 10 * Math.sqrt(row.weight / maxWeight)
      const clippedLeft = row.ciLb < lo; const clippedRight = row.ciUb > hi
      out.push(`<g class="study"><text x="${margin + (result.subgroups ? 10 : 0)}" y="${px(ty)}">${escapeXml(row.label)}</text>` +
        `<line x1="${px(sx(row.ciLb))}" y1="${px(cy)}" x2="${px(sx(row.ciUb))}" y2="${px(cy)}" stroke="#000000"${clippedLeft || clippedRight ? ' stroke-dasharray="4 2"' : ''}/>` +
        `<rect x="${px(sx(row.yi) - side / 2)}" y="${px(cy - side / 2)}" width="${px(side)}" height="${px(side)}" fill="#1f4e79"/>` +
        `<text x="${px(ciX)}" y="${px(ty)}" text-anchor="end">${interval(result, row.yi, row.ciLb, row.ciUb)}</text>` +
        `<text x="${px(weightX)}" y="${px(ty)}" text-anchor="end">${formatNumber(row.weight, 1)}%</text></g>`)
    }
    if (row.kind === 'diamond') {
      const p = row.pooled
      const h = rowH * 0.35
      out.push(`<g class="${row.overall ? 'overall' : 'subtotal'}"><text x="${margin}" y="${px(ty)}" font-weight="bold">${escapeXml(row.label)}</text>` +
        `<polygon points="${px(sx(p.ciLb))},${px(cy)} ${px(sx(p.estimate))},${px(cy - h)} ${px(sx(p.ciUb))},${px(cy)} ${px(sx(p.estimate))},${px(cy + h)}" fill="${row.overall ? '#000000' : '#7f7f7f'}"/>` +
        `<text x="${px(ciX)}" y="${px(ty)}" text-anchor="end" font-weight="bold">${interval(result, p.estimate, p.ciLb, p.ciUb)}</text>` +
        (row.weight !== undefined ? `<text x="${px(weightX)}" y="${px(ty)}" text-anchor="end" font-weight="bold">100%</text>` : '') + '</g>')
    }
    if (row.kind === 'prediction') {
      out.push(`<g class="prediction"><text x="${margin}" y="${px(ty)}" font-size="${size - 1}">Prediction interval</text><line x1="${px(sx(row.from))}" y1="${px(cy)}" x2="${px(sx(row.to))}" y2="${px(cy)}" stroke="#000000" stroke-width="2" stroke-dasharray="6 3"/>` +
        `<text x="${px(ciX)}" y="${px(ty)}" text-anchor="end" font-size="${size - 1}">[${shown(result, row.from)}, ${shown(result, row.to)}]</text></g>`)
    }
  })
  const axisY = studiesBottom + 4
  out.push(`<g class="axis"><line x1="${px(x0)}" y1="${px(axisY)}" x2="${px(x0 + plotW)}" y2="${px(axisY)}" stroke="#000000"/>`)
  for (const t of ticks) out.push(`<line x1="${px(sx(t.at))}" y1="${px(axisY)}" x2="${px(sx(t.at))}" y2="${px(axisY + 5)}" stroke="#000000"/><text x="${px(sx(t.at))}" y="${px(axisY + 5 + size)}" text-anchor="middle">${escapeXml(t.label)}</text>`)
  out.push(`<text x="${px(x0 + plotW / 2)}" y="${px(axisY + 8 + size * 2.2)}" text-anchor="middle">${escapeXml(MEASURE_NAMES[result.measure] + (result.logScale ? ' (log scale)' : ''))}</text></g>`)
  out.push('</svg>')
  return out.join('\n') + '\n'
}

/**
 * Funnel plot: each study's effect against its standard error (0 at the top),
 * with the pooled estimate and the pseudo-confidence region (estimate ± z·SE);
 * studies filled in by trim-and-fill drawn as open circles when asked.
 */
export function funnelPlotSvg(result: MetaAnalysisResult, options: PlotOptions & { showFilled?: boolean } = {}): string {
  const size = options.fontSize ?? 12
  const width = 560; const height = 440
  const margin = { top: options.title ? 44 : 20, right: 24, bottom: 56, left: 64 }
  const plotW = width - margin.left - margin.right; const plotH = height - margin.top - margin.bottom
  const filled = options.showFilled ? result.smallStudyEffects?.trimAndFill.filled ?? [] : []
  const points = result.studies.map((s) => ({ yi: s.yi, se: s.se, filled: false })).concat(filled.map((f) => ({ yi: f.yi, se: Math.sqrt(f.vi), filled: true })))
  const seMax = Math.max(...points.map((p) => p.se)) * 1.05 || 1
  const est = result.pooled.estimate
  const z = 1.959963984540054
  let lo = Math.min(...points.map((p) => p.yi), est - z * seMax); let hi = Math.max(...points.map((p) => p.yi), est + z * seMax)
  const pad = (hi - lo) * 0.04 || 1
  lo -= pad; hi += pad
  const sx = (v: number) => margin.left + (v - lo) / (hi - lo) * plotW
  const sy = (se: number) => margin.top + se / seMax * plotH
  const out: string[] = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="${size}" role="img">`)
  out.push(`<title>${escapeXml(options.title ?? 'Funnel plot')}</title>`)
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`)
  if (options.title) out.push(`<text x="${width / 2}" y="26" text-anchor="middle" font-size="${size + 3}" font-weight="bold">${escapeXml(options.title)}</text>`)
  out.push(`<polygon class="region" points="${px(sx(est))},${px(sy(0))} ${px(sx(est - z * seMax))},${px(sy(seMax))} ${px(sx(est + z * seMax))},${px(sy(seMax))}" fill="#f0f0f0" stroke="#999999" stroke-dasharray="4 3"/>`)
  out.push(`<line class="estimate" x1="${px(sx(est))}" y1="${px(sy(0))}" x2="${px(sx(est))}" y2="${px(sy(seMax))}" stroke="#000000"/>`)
  for (const p of points) {
    out.push(`<circle class="${p.filled ? 'filled-in' : 'study'}" cx="${px(sx(p.yi))}" cy="${px(sy(p.se))}" r="4" fill="${p.filled ? '#ffffff' : '#1f4e79'}" stroke="#1f4e79"/>`)
  }
  const { ticks } = axis(result, lo, hi)
  const bottom = margin.top + plotH
  out.push(`<g class="axis"><line x1="${margin.left}" y1="${px(bottom)}" x2="${margin.left + plotW}" y2="${px(bottom)}" stroke="#000000"/>`)
  for (const t of ticks) out.push(`<line x1="${px(sx(t.at))}" y1="${px(bottom)}" x2="${px(sx(t.at))}" y2="${px(bottom + 5)}" stroke="#000000"/><text x="${px(sx(t.at))}" y="${px(bottom + 5 + size)}" text-anchor="middle">${escapeXml(t.label)}</text>`)
  out.push(`<text x="${px(margin.left + plotW / 2)}" y="${px(bottom + 40)}" text-anchor="middle">${escapeXml(MEASURE_NAMES[result.measure] + (result.logScale ? ' (log scale)' : ''))}</text>`)
  out.push(`<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${px(bottom)}" stroke="#000000"/>`)
  for (const v of niceTicks(0, seMax, 5)) out.push(`<line x1="${margin.left - 5}" y1="${px(sy(v))}" x2="${margin.left}" y2="${px(sy(v))}" stroke="#000000"/><text x="${margin.left - 8}" y="${px(sy(v) + size * 0.35)}" text-anchor="end">${formatNumber(v, 2)}</text>`)
  out.push(`<text transform="translate(${margin.left - 46} ${px(margin.top + plotH / 2)}) rotate(-90)" text-anchor="middle">Standard error</text></g>`)
  out.push('</svg>')
  return out.join('\n') + '\n'
}
