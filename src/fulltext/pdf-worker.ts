/**
 * Worker thread of the PDF text extraction (started by extract.ts with time
 * and memory limits): parses one PDF at a time with pdf.js and answers the
 * positioned text of each page as lines in reading order, plus the document
 * information. A PDF that hangs or exhausts this thread's heap costs this
 * thread only; the caller terminates it and starts another.
 */
import fs from 'node:fs/promises'
import { parentPort } from 'node:worker_threads'
import { getDocumentProxy } from 'unpdf'
import { linesInReadingOrder, type Line, type TextItem } from './layout.ts'

export interface WorkerRequest { id: number; path?: string; data?: Uint8Array; maxPages: number }
export interface RawPage { number: number; lines: Line[] }
export interface RawDocument { pageCount: number; encrypted: boolean; info: Record<string, unknown>; xmp?: string; pages: RawPage[] }
export type WorkerReply =
  | { id: number; ok: true; doc: RawDocument }
  | { id: number; ok: false; code: 'encrypted' | 'corrupt' | 'empty' | 'too-many-pages'; message: string }

interface PdfTextItem { str?: string; transform?: number[]; width?: number; height?: number }

/** Classifies a pdf.js error into the per-file error codes. */
function failure(id: number, error: unknown): WorkerReply {
  const name = (error as { name?: string })?.name ?? ''
  const message = (error as { message?: string })?.message ?? String(error)
  if (name === 'PasswordException') return { id, ok: false, code: 'encrypted', message: 'the PDF is encrypted with a password' }
  return { id, ok: false, code: 'corrupt', message: `the file is not a readable PDF: ${message}` }
}

async function extract(request: WorkerRequest): Promise<WorkerReply> {
  const bytes = request.data ?? new Uint8Array(await fs.readFile(request.path!))
  const encrypted = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes('/Encrypt')
  let doc
  try {
    doc = await getDocumentProxy(bytes, { verbosity: 0, isEvalSupported: false, stopAtErrors: false })
  } catch (error) {
    return failure(request.id, error)
  }
  try {
    const pageCount = doc.numPages
    if (pageCount === 0) return { id: request.id, ok: false, code: 'empty', message: 'the PDF has no pages' }
    if (pageCount > request.maxPages) {
      return { id: request.id, ok: false, code: 'too-many-pages', message: `the PDF has ${pageCount} pages, more than the limit of ${request.maxPages}` }
    }
    const meta = await doc.getMetadata().catch(() => undefined)
    const pages: RawPage[] = []
    let blank = 0
    for (let number = 1; number <= pageCount; number++) {
      const page = await doc.getPage(number)
      const content = await page.getTextContent()
      const items: TextItem[] = []
      for (const raw of content.items as PdfTextItem[]) {
        if (typeof raw.str !== 'string' || !raw.transform) continue
        const [a, b, c, d, x, y] = raw.transform
        const size = Math.hypot(c, d) || Math.hypot(a, b) || raw.height || 0
        items.push({ text: raw.str, x, y, width: raw.width ?? 0, size })
      }
      const lines = linesInReadingOrder(items)
      if (lines.length === 0 && (await page.getOperatorList()).fnArray.length === 0) blank++
      pages.push({ number, lines })
      page.cleanup()
    }
    // pdf.js shows a page tree with no pages as one blank page: a file of blank pages only has nothing to read.
    if (blank === pageCount) return { id: request.id, ok: false, code: 'empty', message: 'the PDF has no pages with content' }
    const info = (meta?.info ?? {}) as Record<string, unknown>
    const xmp = (meta?.metadata as { getRaw?: () => string } | null | undefined)?.getRaw?.()
    return { id: request.id, ok: true, doc: { pageCount, encrypted, info, ...(xmp ? { xmp: String(xmp).slice(0, 200_000) } : {}), pages } }
  } catch (error) {
    return failure(request.id, error)
  } finally {
    await doc.destroy()
  }
}

parentPort?.on('message', (request: WorkerRequest) => {
  extract(request).then((reply) => parentPort!.postMessage(reply), (error) => parentPort!.postMessage(failure(request.id, error)))
})
