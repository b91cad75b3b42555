/**
 * Recall curve of a simulation as a standalone SVG document: recall (y)
 * against the proportion of records screened (x), one line per seed, and the
 * diagonal that screening in random order follows on average.
 */
import { escapeXml } from '../charts/svg.ts'
import type { SimulationResult } from './simulate.ts'

export interface RecallSvgOptions {
  title?: string
  width?: number
  height?: number
  /** Most points drawn per line; longer curves are sampled (their steps kept). Default 600. */
  maxPoints?: number
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f']

export function recallCurveSvg(result: SimulationResult, options: RecallSvgOptions = {}): string {
  const width = options.width ?? 720
  const height = options.height ?? 480
  const maxPoints = options.maxPoints ?? 600
  const margin = { top: 40, right: 150, bottom: 50, left: 60 }
  const plotW = width - margin.left - margin.right
  const plotH = height - margin.top - margin.bottom
  const sx = (v: number) => margin.left + v * plotW
  const sy = (v: number) => margin.top + (1 - v) * plotH
  const fmt = (v: number) => v.toFixed(1)
  const parts: string[] = []
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`)
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`)
  if (options.title) parts.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(options.title)}</text>`)

  // Grid and ticks.
  for (let i = 0; i <= 5; i++) {
    const v = i / 5
    parts.push(`<line x1="${fmt(sx(v))}" y1="${fmt(sy(0))}" x2="${fmt(sx(v))}" y2="${fmt(sy(1))}" stroke="#e5e5e5"/>`)
    parts.push(`<line x1="${fmt(sx(0))}" y1="${fmt(sy(v))}" x2="${fmt(sx(1))}" y2="${fmt(sy(v))}" stroke="#e5e5e5"/>`)
    parts.push(`<text x="${fmt(sx(v))}" y="${fmt(sy(0) + 18)}" text-anchor="middle">${Math.round(v * 100)}%</text>`)
    parts.push(`<text x="${fmt(sx(0) - 8)}" y="${fmt(sy(v) + 4)}" text-anchor="end">${Math.round(v * 100)}%</text>`)
  }
  parts.push(`<rect x="${sx(0)}" y="${sy(1)}" width="${plotW}" height="${plotH}" fill="none" stroke="#333333"/>`)
  parts.push(`<text x="${fmt(sx(0.5))}" y="${height - 12}" text-anchor="middle">proportion of records screened</text>`)
  parts.push(`<text transform="translate(16 ${fmt(sy(0.5))}) rotate(-90)" text-anchor="middle">recall</text>`)

  // Random baseline.
  parts.push(`<line x1="${sx(0)}" y1="${sy(0)}" x2="${sx(1)}" y2="${sy(1)}" stroke="#888888" stroke-dasharray="6 4"/>`)

  const n = result.evaluatedRecords
  const relevant = result.evaluatedRelevant
  result.runs.forEach((run, i) => {
    const colour = COLOURS[i % COLOURS.length]
    const points: string[] = [`${fmt(sx(0))},${fmt(sy(0))}`]
    const step = Math.max(1, Math.ceil(run.found.length / maxPoints))
    let previous = 0
    for (let k = 0; k < run.found.length; k++) {
      const changed = run.found[k] !== previous
      // Keep every point where recall changes, so the curve's steps are exact.
      if (changed || k % step === 0 || k === run.found.length - 1) {
        if (changed) points.push(`${fmt(sx(k / n))},${fmt(sy(previous / relevant))}`)
        points.push(`${fmt(sx((k + 1) / n))},${fmt(sy(run.found[k] / relevant))}`)
      }
      previous = run.found[k]
    }
    parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${points.join(' ')}"/>`)
    const ly = margin.top + 10 + i * 18
    parts.push(`<line x1="${width - margin.right + 12}" y1="${ly}" x2="${width - margin.right + 36}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`)
    parts.push(`<text x="${width - margin.right + 42}" y="${ly + 4}">seed ${run.seed}</text>`)
  })
  const ly = margin.top + 10 + result.runs.length * 18
  parts.push(`<line x1="${width - margin.right + 12}" y1="${ly}" x2="${width - margin.right + 36}" y2="${ly}" stroke="#888888" stroke-dasharray="6 4"/>`)
  parts.push(`<text x="${width - margin.right + 42}" y="${ly + 4}">random</text>`)
  parts.push('</svg>')
  return parts.join('\n') + '\n'
}
