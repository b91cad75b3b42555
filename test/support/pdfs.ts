/**
 * PDFs generated for the text-extraction tests and benchmark (pdf-lib), so no
 * fixture file is needed: articles with columns, hyphenation, running
 * headers/footers, ligature glyphs, and image-only (scanned) pages.
 */
import { execFile } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import {
  PDFDocument, PDFHexString, PDFName, StandardFonts, beginText, endText, moveText, setFontAndSize, showText, type PDFFont, type PDFPage
} from 'pdf-lib'

const run = promisify(execFile)
export const A4: [number, number] = [595, 842]

export interface ArticleOptions {
  pages: number
  /** Body paragraphs in two columns (else one). */
  columns?: 1 | 2
  header?: string
  /** Writes "Page n of N" centred at the bottom (and a bare number in the header corner). */
  pageNumbers?: boolean
  /** Lines of each page, per column (a line never longer than the column). */
  body: (page: number, column: number) => string[]
  title?: string
  info?: { title?: string; subject?: string }
}

function drawLines(page: PDFPage, font: PDFFont, lines: string[], x: number, top: number, size: number) {
  lines.forEach((text, i) => page.drawText(text, { x, y: top - i * size * 1.3, size, font }))
}

export async function articlePdf(options: ArticleOptions): Promise<Uint8Array> {
  const doc = await PDFDocument.create()
  const font = await doc.embedFont(StandardFonts.TimesRoman)
  const bold = await doc.embedFont(StandardFonts.TimesRomanBold)
  if (options.info?.title) doc.setTitle(options.info.title)
  if (options.info?.subject) doc.setSubject(options.info.subject)
  for (let p = 1; p <= options.pages; p++) {
    const page = doc.addPage(A4)
    if (options.header) page.drawText(options.header, { x: 60, y: 800, size: 8, font })
    if (options.pageNumbers) {
      page.drawText(String(p), { x: 520, y: 800, size: 8, font })
      page.drawText(`Page ${p} of ${options.pages}`, { x: 270, y: 30, size: 8, font })
    }
    let top = 760
    if (p === 1 && options.title) {
      page.drawText(options.title, { x: 60, y: top, size: 18, font: bold })
      top -= 40
    }
    if ((options.columns ?? 1) === 2) {
      drawLines(page, font, options.body(p, 0), 60, top, 10)
      drawLines(page, font, options.body(p, 1), 320, top, 10)
    } else drawLines(page, font, options.body(p, 0), 60, top, 10)
  }
  return doc.save()
}

/**
 * A page written with the ligature glyphs of Times-Roman (`fi`, `fl`, through
 * an encoding whose byte 1 is /fi and byte 2 /fl, as typesetters do): `text`
 * may hold U+FB01 and U+FB02, the other characters must be ASCII.
 */
export async function ligaturePdf(lines: string[]): Promise<Uint8Array> {
  const doc = await PDFDocument.create()
  const page = doc.addPage(A4)
  const font = doc.context.register(doc.context.obj({
    Type: 'Font', Subtype: 'Type1', BaseFont: 'Times-Roman',
    Encoding: { Type: 'Encoding', BaseEncoding: 'WinAnsiEncoding', Differences: [1, PDFName.of('fi'), PDFName.of('fl')] }
  }))
  page.node.setFontDictionary(PDFName.of('Lig'), font)
  const hex = (text: string) => PDFHexString.of([...text].map((c) => (c === '\uFB01' ? 1 : c === '\uFB02' ? 2 : c.charCodeAt(0)).toString(16).padStart(2, '0')).join(''))
  lines.forEach((text, i) => page.pushOperators(beginText(), setFontAndSize('Lig', 12), moveText(60, 760 - i * 16), showText(hex(text)), endText()))
  return doc.save()
}

/**
 * A PDF page whose only content is a raster image of `lines` (a scanned page):
 * the text is drawn in a PDF, rendered to PNG by pdftoppm, and the PNG
 * embedded in a new PDF. Needs poppler-utils.
 */
export async function scannedPdf(lines: string[]): Promise<Uint8Array> {
  const source = await PDFDocument.create()
  const font = await source.embedFont(StandardFonts.Helvetica)
  const page = source.addPage(A4)
  drawLines(page, font, lines, 60, 760, 16)
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'analylit-scan-'))
  try {
    await fs.writeFile(path.join(dir, 'text.pdf'), await source.save())
    await run('pdftoppm', ['-r', '150', '-gray', '-png', '-singlefile', path.join(dir, 'text.pdf'), path.join(dir, 'scan')])
    const png = await fs.readFile(path.join(dir, 'scan.png'))
    const doc = await PDFDocument.create()
    const image = await doc.embedPng(png)
    doc.addPage(A4).drawImage(image, { x: 0, y: 0, width: A4[0], height: A4[1] })
    return doc.save()
  } finally {
    await fs.rm(dir, { recursive: true, force: true })
  }
}

/** Whether a command runs (`which`-like check through `--version`/`-v`). */
export async function hasTool(tool: string, args = ['--version']): Promise<boolean> {
  return run(tool, args).then(() => true, () => false)
}
