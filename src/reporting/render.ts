/**
 * SVG figures (PRISMA flow diagram, forest and funnel plots…) as PNG, through
 * resvg (a Rust SVG renderer shipped as prebuilt binaries in the npm package:
 * nothing to compile or download at run time), and as PDF through pdfkit and
 * svg-to-pdfkit (vector output, text in the PDF's built-in Helvetica).
 * For PNG, text uses the system's fonts, with Nimbus Sans (URW, metrics of Helvetica, from Debian's fonts-urw-base35) as the sans-serif font.
 */
import { Unsupported } from '../errors.ts'
import { drawPngInThread } from './reporting-thread.ts'

/** PNG of an SVG at `scale` times its size (2 by default, sharp enough for print at the width of a page), drawn in the reporting thread. */
export async function svgToPng(svg: string, scale = 2): Promise<Buffer> {
  return drawPngInThread(svg, scale)
}

/** svgToPng's work, on the calling thread (the reporting thread's). */
export async function drawPng(svg: string, scale: number): Promise<Buffer> {
  let Resvg: typeof import('@resvg/resvg-js').Resvg
  try {
    ({ Resvg } = await import('@resvg/resvg-js'))
  } catch (err) {
    throw new Unsupported(`PNG rendering is not available on this platform: ${(err as Error).message}`)
  }
  const image = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: '#ffffff',
    font: { loadSystemFonts: true, defaultFontFamily: 'Nimbus Sans', sansSerifFamily: 'Nimbus Sans' }
  }).render()
  return image.asPng()
}

/** A one-page vector PDF of an SVG, the page the size of the figure (1 px = 0.75 pt). */
export async function svgToPdf(svg: string): Promise<Buffer> {
  const [{ default: PDFDocument }, { default: SVGtoPDF }] = await Promise.all([import('pdfkit'), import('svg-to-pdfkit')])
  const [, w, h] = svg.match(/<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"/) ?? []
  if (!w || !h) throw new Unsupported('the SVG has no width and height')
  const size: [number, number] = [Number(w) * 0.75, Number(h) * 0.75]
  const doc = new PDFDocument({ size, margin: 0, info: { Producer: 'AnalyLit', Creator: 'AnalyLit' } })
  const chunks: Buffer[] = []
  doc.on('data', (c: Buffer) => chunks.push(c))
  const done = new Promise<void>((resolve, reject) => { doc.on('end', resolve); doc.on('error', reject) })
  SVGtoPDF(doc, svg, 0, 0, {
    width: size[0],
    height: size[1],
    // The PDF standard fonts: Helvetica has the metrics the SVG layout assumes.
    fontCallback: (_family: string, bold: boolean, italic: boolean) => `Helvetica${bold || italic ? '-' : ''}${bold ? 'Bold' : ''}${italic ? 'Oblique' : ''}`
  })
  doc.end()
  await done
  return Buffer.concat(chunks)
}
