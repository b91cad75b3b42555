/**
 * A horizontal bar chart as a standalone SVG document: one bar per category,
 * its label on the left and its count on the right, an axis of nice ticks.
 */
import { escapeXml, niceTicks, px, textWidth } from './svg.ts'

export interface Bar { label: string, value: number }

export function barChartSvg(bars: Bar[], options: { title?: string, axisLabel?: string, fontSize?: number } = {}): string {
  const size = options.fontSize ?? 12
  const rowH = Math.round(size * 1.8)
  const margin = 16
  const clip = (label: string) => label.length > 60 ? `${label.slice(0, 59)}…` : label
  const labelW = Math.min(320, Math.max(60, ...bars.map((b) => textWidth(clip(b.label), size) + 12)))
  const plotW = 360
  const max = Math.max(1, ...bars.map((b) => b.value))
  const ticks = niceTicks(0, max, 5)
  const axisMax = Math.max(max, ticks[ticks.length - 1])
  const countW = textWidth(String(max), size) + 16
  const top = margin + (options.title ? size * 2 : 0)
  const width = Math.ceil(margin * 2 + labelW + plotW + countW)
  const plotBottom = top + Math.max(1, bars.length) * rowH
  const height = Math.ceil(plotBottom + size * 3.5 + margin)
  const x0 = margin + labelW
  const sx = (v: number) => x0 + (v / axisMax) * plotW
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="${size}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`
  ]
  if (options.title) out.push(`<text class="title" x="${margin}" y="${px(margin + size)}" font-size="${size + 2}" font-weight="bold">${escapeXml(options.title)}</text>`)
  if (bars.length === 0) out.push(`<text class="empty" x="${px(x0)}" y="${px(top + rowH * 0.65)}" fill="#666666">No records</text>`)
  bars.forEach((bar, i) => {
    const y = top + i * rowH
    const ty = y + rowH * 0.65
    out.push(`<g class="bar"><text x="${px(x0 - 8)}" y="${px(ty)}" text-anchor="end">${escapeXml(clip(bar.label))}</text>` +
      `<rect x="${px(x0)}" y="${px(y + rowH * 0.15)}" width="${px(sx(bar.value) - x0)}" height="${px(rowH * 0.7)}" fill="#1f4e79"/>` +
      `<text x="${px(sx(bar.value) + 4)}" y="${px(ty)}">${bar.value}</text></g>`)
  })
  out.push(`<g class="axis"><line x1="${px(x0)}" y1="${px(plotBottom)}" x2="${px(x0 + plotW)}" y2="${px(plotBottom)}" stroke="#000000"/>`)
  for (const tick of ticks) {
    out.push(`<line x1="${px(sx(tick))}" y1="${px(plotBottom)}" x2="${px(sx(tick))}" y2="${px(plotBottom + 4)}" stroke="#000000"/>` +
      `<text x="${px(sx(tick))}" y="${px(plotBottom + size + 4)}" text-anchor="middle">${tick}</text>`)
  }
  out.push('</g>')
  if (options.axisLabel) out.push(`<text x="${px(x0 + plotW / 2)}" y="${px(plotBottom + size * 2.8)}" text-anchor="middle">${escapeXml(options.axisLabel)}</text>`)
  out.push('</svg>')
  return out.join('\n')
}
