/**
 * Risk-of-bias figures as SVG in the style of robvis (McGuinness & Higgins,
 * Res Syn Meth 2021;12:55–61): the traffic-light plot (studies × domains and
 * the overall judgement, one coloured circle with a symbol per cell, a legend
 * and a key of the domains) and the summary bar plot (for each domain, the
 * share of studies — optionally weighted — at each judgement). Colours are
 * robvis's "cochrane" palette; symbols are robvis's.
 */
import { escapeXml, px, textWidth, wrapText } from '../charts/svg.ts'
import { Invalid } from '../errors.ts'
import type { Judgements } from './index.ts'
import { riskDomains, type Tool } from './tools.ts'

/** Colour and symbol of each judgement (robvis, colour = "cochrane"). */
export const JUDGEMENT_STYLE: Record<string, { colour: string, symbol: string, label: string }> = {
  low: { colour: '#02C100', symbol: '+', label: 'Low' },
  'some concerns': { colour: '#E2DF07', symbol: '-', label: 'Some concerns' },
  moderate: { colour: '#E2DF07', symbol: '-', label: 'Moderate' },
  unclear: { colour: '#E2DF07', symbol: '?', label: 'Unclear' },
  high: { colour: '#BF0000', symbol: 'X', label: 'High' },
  serious: { colour: '#BF0000', symbol: 'X', label: 'Serious' },
  critical: { colour: '#820000', symbol: '!', label: 'Critical' },
  'no information': { colour: '#4EA1F7', symbol: '?', label: 'No information' }
}

/** One study's judgements: by domain id ("D1"), and overall. */
export interface RobRow { study: string, domains: Record<string, string | undefined>, overall?: string, weight?: number }

/** A row from `deriveJudgements`'s result: what a route passes for each assessed study. */
export const rowOf = (study: string, judgements: Judgements, weight?: number): RobRow => ({
  study,
  domains: Object.fromEntries(judgements.domains.map((d) => [d.id, d.judgement])),
  overall: judgements.overall.judgement,
  ...(weight === undefined ? {} : { weight })
})

const FONT = 'font-family="Helvetica, Arial, sans-serif"'

function checkRows(tool: Tool, rows: RobRow[]): void {
  if (!rows.length) throw new Invalid('no assessed study to plot', 'studies')
  rows.forEach((r, i) => {
    for (const [id, j] of [...Object.entries(r.domains), ['overall', r.overall] as const]) {
      if (j !== undefined && !tool.judgements.includes(j)) {
        throw new Invalid(`study "${r.study}", ${id}: "${j}" is not a judgement of ${tool.id} (one of ${tool.judgements.join(', ')})`, `studies/${i}/${id}`)
      }
    }
  })
}

function legend(tool: Tool, x: number, y: number): string {
  let out = `<text x="${px(x)}" y="${px(y)}" font-size="12" font-weight="bold" ${FONT}>Judgement</text>`
  tool.judgements.forEach((j, i) => {
    const s = JUDGEMENT_STYLE[j]!; const cy = y + 20 + i * 22
    out += `<circle class="legend" data-judgement="${escapeXml(j)}" cx="${px(x + 8)}" cy="${px(cy)}" r="8" fill="${s.colour}"/>` +
      `<text x="${px(x + 8)}" y="${px(cy + 4)}" font-size="11" text-anchor="middle" ${FONT}>${escapeXml(s.symbol)}</text>` +
      `<text x="${px(x + 22)}" y="${px(cy + 4)}" font-size="11" ${FONT}>${escapeXml(s.label)}</text>`
  })
  return out
}

/** The traffic-light plot: one row per study, one column per domain and one for the overall judgement. */
export function trafficLightPlot(tool: Tool, rows: RobRow[], { overall = true, title }: { overall?: boolean, title?: string } = {}): string {
  checkRows(tool, rows)
  const cell = 34; const r = 12; const labelSize = 12
  const labels = rows.map((row) => {
    const lines = wrapText(row.study, 220, labelSize)
    return lines.length > 1 ? `${lines[0]}…` : lines[0] ?? ''
  })
  const left = 16 + Math.max(60, ...labels.map((l) => textWidth(l, labelSize)))
  const top = (title ? 30 : 0) + 48
  const columns = [...riskDomains(tool).map((d) => ({ id: d.id, label: d.id })), ...(overall ? [{ id: 'overall', label: 'Overall' }] : [])]
  const gridWidth = columns.length * cell
  const legendX = left + gridWidth + 24
  const keyTop = top + rows.length * cell + 24
  const keyLines = riskDomains(tool).map((d) => `${d.id}: ${d.name}.`)
  const width = Math.max(legendX + 150, left + Math.max(...keyLines.map((l) => textWidth(l, 11))) + 10)
  const height = Math.max(keyTop + keyLines.length * 16 + 8, top + 20 + tool.judgements.length * 22 + 10)
  let out = `<svg xmlns="http://www.w3.org/2000/svg" class="traffic-light" width="${px(width)}" height="${px(height)}" viewBox="0 0 ${px(width)} ${px(height)}">`
  out += '<rect width="100%" height="100%" fill="#ffffff"/>'
  if (title) out += `<text x="${px(width / 2)}" y="20" font-size="14" font-weight="bold" text-anchor="middle" ${FONT}>${escapeXml(title)}</text>`
  out += `<text x="${px(left + riskDomains(tool).length * cell / 2)}" y="${px(top - 30)}" font-size="12" font-weight="bold" text-anchor="middle" ${FONT}>Risk of bias domains</text>`
  columns.forEach((c, i) => {
    out += `<text x="${px(left + i * cell + cell / 2)}" y="${px(top - 10)}" font-size="12" text-anchor="middle" ${FONT}>${escapeXml(c.label)}</text>`
  })
  out += `<text x="8" y="${px(top - 10)}" font-size="12" font-weight="bold" ${FONT}>Study</text>`
  rows.forEach((row, ri) => {
    const cy = top + ri * cell + cell / 2
    out += `<text class="study" x="8" y="${px(cy + 4)}" font-size="${labelSize}" ${FONT}>${escapeXml(labels[ri]!)}</text>`
    columns.forEach((c, ci) => {
      const x = left + ci * cell
      out += `<rect x="${px(x)}" y="${px(top + ri * cell)}" width="${cell}" height="${cell}" fill="#f2f2f2" stroke="#ffffff"/>`
      const j = c.id === 'overall' ? row.overall : row.domains[c.id]
      if (j === undefined) return
      const s = JUDGEMENT_STYLE[j]!
      out += `<circle class="judgement" data-study="${ri}" data-domain="${c.id}" data-judgement="${escapeXml(j)}" cx="${px(x + cell / 2)}" cy="${px(cy)}" r="${r}" fill="${s.colour}"/>` +
        `<text x="${px(x + cell / 2)}" y="${px(cy + 5)}" font-size="14" font-weight="bold" text-anchor="middle" fill="#000000" ${FONT}>${escapeXml(s.symbol)}</text>`
    })
  })
  out += legend(tool, legendX, top)
  keyLines.forEach((line, i) => { out += `<text class="domain-key" x="8" y="${px(keyTop + i * 16)}" font-size="11" ${FONT}>${escapeXml(line)}</text>` })
  return out + '</svg>'
}

export interface DomainShares { id: string, name: string, studies: number, shares: Record<string, number> }

/**
 * For each domain (and overall), the share of studies at each judgement; with
 * `weighted`, each study counts its `weight` (e.g. its weight in the meta-analysis).
 * Studies without a judgement in a domain are left out of that domain.
 */
export function summaryShares(tool: Tool, rows: RobRow[], { weighted = false, overall = true }: { weighted?: boolean, overall?: boolean } = {}): DomainShares[] {
  checkRows(tool, rows)
  if (weighted) {
    rows.forEach((r, i) => {
      if (!(typeof r.weight === 'number' && Number.isFinite(r.weight) && r.weight >= 0)) throw new Invalid(`study "${r.study}" has no weight (a number ≥ 0) for the weighted summary`, `studies/${i}/weight`)
    })
  }
  const domains = [...riskDomains(tool).map((d) => ({ id: d.id, name: d.name })), ...(overall ? [{ id: 'overall', name: 'Overall risk of bias' }] : [])]
  return domains.map((d) => {
    const judged = rows.map((r) => ({ j: d.id === 'overall' ? r.overall : r.domains[d.id], w: weighted ? r.weight! : 1 })).filter((x) => x.j !== undefined)
    const total = judged.reduce((s, x) => s + x.w, 0)
    const shares = Object.fromEntries(tool.judgements.map((j) => [j, total > 0 ? judged.filter((x) => x.j === j).reduce((s, x) => s + x.w, 0) / total : 0]))
    return { id: d.id, name: d.name, studies: judged.length, shares }
  })
}

/** Percentage with one decimal, as printed in the bar plot. */
export const percent = (share: number) => Math.round(share * 1000) / 10

/** The summary bar plot: one horizontal bar per domain, split by judgement (best on the left), in percent. */
export function summaryPlot(tool: Tool, rows: RobRow[], options: { weighted?: boolean, overall?: boolean, title?: string } = {}): string {
  const shares = summaryShares(tool, rows, options)
  const labelSize = 12; const barHeight = 22; const gap = 8; const barWidth = 400
  const left = 16 + Math.max(...shares.map((s) => textWidth(s.name, labelSize)))
  const top = options.title ? 36 : 12
  const axisY = top + shares.length * (barHeight + gap)
  let legendRow = ''; let lx = left
  for (const j of tool.judgements) {
    const s = JUDGEMENT_STYLE[j]!; const label = j === 'no information' || j === 'some concerns' ? s.label : `${s.label} risk of bias`
    legendRow += `<rect class="legend" data-judgement="${escapeXml(j)}" x="${px(lx)}" y="${px(axisY + 30)}" width="12" height="12" fill="${s.colour}" stroke="#000000" stroke-width="0.5"/>` +
      `<text x="${px(lx + 16)}" y="${px(axisY + 40)}" font-size="11" ${FONT}>${escapeXml(label)}</text>`
    lx += 16 + textWidth(label, 11) + 14
  }
  const width = Math.max(left + barWidth + 24, lx)
  const height = axisY + 64
  let out = `<svg xmlns="http://www.w3.org/2000/svg" class="summary" width="${px(width)}" height="${px(height)}" viewBox="0 0 ${px(width)} ${px(height)}">`
  out += '<rect width="100%" height="100%" fill="#ffffff"/>'
  if (options.title) out += `<text x="${px(width / 2)}" y="20" font-size="14" font-weight="bold" text-anchor="middle" ${FONT}>${escapeXml(options.title)}</text>`
  shares.forEach((d, i) => {
    const y = top + i * (barHeight + gap)
    out += `<text class="domain" x="${px(left - 8)}" y="${px(y + barHeight / 2 + 4)}" font-size="${labelSize}" text-anchor="end" ${FONT}>${escapeXml(d.name)}</text>`
    let x = left
    for (const j of tool.judgements) {
      const share = d.shares[j]!
      if (share <= 0) continue
      const w = share * barWidth
      out += `<rect class="share" data-domain="${d.id}" data-judgement="${escapeXml(j)}" data-percent="${percent(share)}" x="${px(x)}" y="${px(y)}" width="${px(w)}" height="${barHeight}" fill="${JUDGEMENT_STYLE[j]!.colour}" stroke="#000000" stroke-width="0.5"/>`
      if (w >= 36) out += `<text class="percent" x="${px(x + w / 2)}" y="${px(y + barHeight / 2 + 4)}" font-size="10" text-anchor="middle" ${FONT}>${percent(share)}%</text>`
      x += w
    }
  })
  out += `<line x1="${px(left)}" y1="${px(axisY)}" x2="${px(left + barWidth)}" y2="${px(axisY)}" stroke="#000000"/>`
  for (const tick of [0, 25, 50, 75, 100]) {
    const x = left + tick / 100 * barWidth
    out += `<line x1="${px(x)}" y1="${px(axisY)}" x2="${px(x)}" y2="${px(axisY + 4)}" stroke="#000000"/><text x="${px(x)}" y="${px(axisY + 16)}" font-size="10" text-anchor="middle" ${FONT}>${tick}%</text>`
  }
  out += legendRow
  return out + '</svg>'
}
