/**
 * Small pieces shared by the service's SVG figures (forest and funnel plots,
 * and the other report figures): escaping, number formatting, axis ticks and
 * a text-width estimate for layout without a font engine.
 */

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!)
}

/** A coordinate with one decimal: enough for print, and stable for golden files. */
export const px = (v: number) => (Math.round(v * 10) / 10).toString()

/**
 * About 1, 2 or 5 × 10ⁿ-spaced ticks covering [min, max], at most `count` + 1 of them.
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min]
  const raw = (max - min) / count
  const magnitude = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!
  const ticks: number[] = []
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)))
  return ticks
}

/**
 * Width of `text` in a sans-serif font of `size` px, estimated from average
 * glyph widths (narrow, wide and the rest), for column widths and wrapping.
 */
export function textWidth(text: string, size: number): number {
  let units = 0
  for (const ch of text) {
    if ('iljtf.,:;|!\'’ ()[]'.includes(ch)) units += 0.3
    else if ('mwMW@%'.includes(ch)) units += 0.85
    else if (ch >= 'A' && ch <= 'Z') units += 0.65
    else units += 0.55
  }
  return units * size
}

/** Splits `text` into lines no wider than `width` at `size` px, breaking between words (a word longer than a line is cut). */
export function wrapText(text: string, width: number, size: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const candidate = line ? `${line} ${word}` : word
    if (textWidth(candidate, size) <= width || !line) line = candidate
    else { lines.push(line); line = word }
    while (textWidth(line, size) > width && line.length > 1) {
      let cut = line.length - 1
      while (cut > 1 && textWidth(line.slice(0, cut), size) > width) cut--
      lines.push(line.slice(0, cut)); line = line.slice(cut)
    }
  }
  if (line) lines.push(line)
  return lines
}
