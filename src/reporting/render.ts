/**
 * SVG figures (PRISMA flow diagram, forest and funnel plots…) as PNG, through
 * resvg (a Rust SVG renderer shipped as prebuilt binaries in the npm package:
 * nothing to compile or download at run time). Text uses the system's fonts,
 * with Nimbus Sans (URW, metrics of Helvetica, from Debian's fonts-urw-base35) as the sans-serif font.
 */
import { Unsupported } from '../errors.ts'

/** PNG of an SVG at `scale` times its size (2 by default, sharp enough for print at the width of a page). */
export async function svgToPng (svg: string, scale = 2): Promise<Buffer> {
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
