/**
 * Text extraction from PDF files: text per page in reading order, cleaned
 * (ligatures, de-hyphenation, running headers/footers and page numbers
 * removed), sections, DOI/PMID/title for matching files to articles, and OCR
 * of pages without a text layer.
 *
 * Library: pdf.js through `unpdf` (unjs), a serverless build of Mozilla's
 * pdf.js that tracks its releases, with no dependencies: `npm ci` installs it
 * without native binaries or downloads (pdfjs-dist itself pulls the native
 * optional `@napi-rs/canvas`, which text extraction does not need).
 *
 * Isolation: pdf.js runs in a worker thread with a heap limit (`resourceLimits`)
 * and every file has a deadline; a file that hangs or exhausts the heap makes
 * the worker be terminated and replaced, and that file gets an error object.
 * Every failure is a per-file `{ ok: false, error: { code, message } }`; this
 * module never throws for a bad PDF.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { Worker } from 'node:worker_threads'
import type { Config } from '../config.ts'
import { makeTempDir } from '../temp-dirs.ts'
import {
  assemble, dehyphenate, findDoi, findPmid, normaliseText, removeRunningLines, titleFromLines,
  type Line, type PageText, type Section
} from './layout.ts'
import { ocrAvailability, ocrPage } from './ocr.ts'
import type { RawDocument, WorkerReply, WorkerRequest } from './pdf-worker.ts'

export interface ExtractLimits {
  /** Deadline for one file, OCR included. */
  timeoutMs: number
  maxPages: number
  maxBytes: number
  /** Heap limit of the worker thread, in MB. */
  memoryMb: number
  /** Tesseract language(s), e.g. `eng` or `eng+fra`; `false` disables OCR. */
  ocr: string | false
}

export type OcrStatus = { page: number; status: 'done' } | { page: number; status: 'unavailable' | 'failed'; reason: string }

export interface FullText {
  pages: PageText[]
  sections: Section[]
  metadata: { title?: string; doi?: string; pmid?: string; pageCount: number; encrypted: boolean; ocrPages: OcrStatus[] }
}

export type ExtractErrorCode = 'encrypted' | 'corrupt' | 'empty' | 'too-large' | 'too-many-pages' | 'timeout' | 'out-of-memory' | 'failed'
export type ExtractOutcome = { ok: true; text: FullText } | { ok: false; error: { code: ExtractErrorCode; message: string } }

export function limitsFromConfig(config: Pick<Config, 'FULLTEXT_TIMEOUT_MS' | 'FULLTEXT_MAX_PAGES' | 'FULLTEXT_MAX_BYTES' | 'FULLTEXT_MEMORY_MB' | 'FULLTEXT_OCR_LANGUAGE'>): ExtractLimits {
  return {
    timeoutMs: config.FULLTEXT_TIMEOUT_MS,
    maxPages: config.FULLTEXT_MAX_PAGES,
    maxBytes: config.FULLTEXT_MAX_BYTES,
    memoryMb: config.FULLTEXT_MEMORY_MB,
    ocr: config.FULLTEXT_OCR_LANGUAGE === 'off' ? false : config.FULLTEXT_OCR_LANGUAGE
  }
}

// Compiled, this module is extract.js next to pdf-worker.js. Under tsx both are .ts, and the worker
// thread registers tsx's loader itself before importing it (Node 20 workers ignore `--import` in execArgv).
const EXT = path.extname(new URL(import.meta.url).pathname)
const WORKER_URL = new URL(`./pdf-worker${EXT}`, import.meta.url)
const workerScript = (): [string | URL, { eval?: boolean }] => EXT === '.ts'
  ? [`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}) })`, { eval: true }]
  : [WORKER_URL, {}]

const fail = (code: ExtractErrorCode, message: string): ExtractOutcome => ({ ok: false, error: { code, message } })

/**
 * Extracts PDFs one after another in one worker thread, replaced after a
 * timeout or a crash. Call `close()` when done.
 */
export class PdfExtractor {
  private worker: Worker | undefined
  private nextId = 1
  private queue: Promise<void> = Promise.resolve()

  constructor(private readonly limits: ExtractLimits) {}

  /**
   * Extracts one PDF (a path or its bytes); calls on one extractor run one
   * after another, each with its own deadline (`timeoutMs` overrides the limit).
   */
  extract(input: string | Uint8Array, options: { timeoutMs?: number } = {}): Promise<ExtractOutcome> {
    const next = this.queue.then(() => this.extractNow(input, options.timeoutMs ?? this.limits.timeoutMs))
    this.queue = next.then(() => undefined, () => undefined)
    return next
  }

  private async extractNow(input: string | Uint8Array, timeoutMs: number): Promise<ExtractOutcome> {
    const deadline = Date.now() + timeoutMs
    const size = typeof input === 'string' ? await fs.stat(input).then((s) => s.size, () => -1) : input.byteLength
    if (size < 0) return fail('failed', `cannot read ${input as string}`)
    if (size > this.limits.maxBytes) return fail('too-large', `the file has ${size} bytes, more than the limit of ${this.limits.maxBytes}`)
    if (size === 0) return fail('empty', 'the file is empty')
    const reply = await this.parse(input, deadline, timeoutMs)
    if ('error' in reply) return reply
    return { ok: true, text: await this.finish(reply.doc, input, deadline) }
  }

  async close(): Promise<void> {
    const worker = this.worker
    this.worker = undefined
    await worker?.terminate()
  }

  private start(): Worker {
    if (this.worker) return this.worker
    const [script, options] = workerScript()
    const worker = new Worker(script, {
      ...options,
      resourceLimits: { maxOldGenerationSizeMb: this.limits.memoryMb, maxYoungGenerationSizeMb: Math.min(64, Math.max(4, this.limits.memoryMb / 8)) },
      stdout: true, stderr: true // pdf.js warnings are not the service's log
    })
    worker.unref()
    worker.stdout.resume()
    worker.stderr.resume()
    this.worker = worker
    return worker
  }

  /** Runs the worker on one file with the deadline; on timeout or death, the worker is discarded. */
  private parse(input: string | Uint8Array, deadline: number, timeoutMs: number): Promise<{ doc: RawDocument } | ExtractOutcome & { ok: false }> {
    const worker = this.start()
    const id = this.nextId++
    return new Promise((resolve) => {
      const finish = (result: { doc: RawDocument } | ExtractOutcome & { ok: false }, discard: boolean) => {
        clearTimeout(timer)
        worker.off('message', onMessage).off('error', onError).off('exit', onExit)
        if (discard && this.worker === worker) { this.worker = undefined; void worker.terminate() }
        resolve(result)
      }
      const onMessage = (reply: WorkerReply) => {
        if (reply.id !== id) return
        finish(reply.ok ? { doc: reply.doc } : { ok: false, error: { code: reply.code, message: reply.message } }, false)
      }
      const onError = (error: Error & { code?: string }) => finish(error.code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? { ok: false, error: { code: 'out-of-memory', message: `extraction needed more than the memory limit of ${this.limits.memoryMb} MB` } }
        : { ok: false, error: { code: 'failed', message: `extraction failed: ${error.message}` } }, true)
      const onExit = (code: number) => finish({ ok: false, error: { code: 'failed', message: `the extraction worker stopped (exit code ${code})` } }, true)
      const timer = setTimeout(() => finish({ ok: false, error: { code: 'timeout', message: `extraction took longer than the time limit of ${timeoutMs} ms` } }, true),
        Math.max(0, deadline - Date.now()))
      worker.on('message', onMessage).on('error', onError).on('exit', onExit)
      const request: WorkerRequest = typeof input === 'string' ? { id, path: path.resolve(input), maxPages: this.limits.maxPages } : { id, data: input, maxPages: this.limits.maxPages }
      worker.postMessage(request)
    })
  }

  /** OCR of pages without text, then the clean-up shared by text layers and OCR. */
  private async finish(doc: RawDocument, input: string | Uint8Array, deadline: number): Promise<FullText> {
    const pages: Line[][] = doc.pages.map((p) => p.lines.map((l) => ({ ...l, text: normaliseText(l.text) })))
    const ocrPages = await this.ocr(pages, input, deadline)
    const cleaned = dehyphenate(removeRunningLines(pages))
    const { pages: texts, sections } = assemble(cleaned.map((lines, i) => ({ number: doc.pages[i].number, lines })))
    const info = doc.info
    const infoText = ['Title', 'Subject', 'Keywords', 'doi', 'DOI'].map((k) => typeof info[k] === 'string' ? info[k] : '')
      .concat(Object.values((info.Custom ?? {}) as Record<string, unknown>).filter((v): v is string => typeof v === 'string')).join(' ')
    const firstPages = texts.slice(0, 2).map((p) => p.text).join('\n')
    const doi = findDoi(infoText) ?? findDoi(doc.xmp ?? '') ?? findDoi(firstPages)
    const pmid = findPmid(infoText) ?? findPmid(firstPages)
    const infoTitle = typeof info.Title === 'string' ? normaliseText(info.Title).trim() : ''
    const usableInfoTitle = infoTitle.length >= 10 && !/^(untitled|microsoft word|.*\.(docx?|pdf|tex|dvi))/i.test(infoTitle) ? infoTitle : undefined
    const title = usableInfoTitle ?? titleFromLines(pages[0] ?? [])
    return {
      pages: texts,
      sections,
      metadata: { ...(title ? { title } : {}), ...(doi ? { doi } : {}), ...(pmid ? { pmid } : {}), pageCount: doc.pageCount, encrypted: doc.encrypted, ocrPages }
    }
  }

  /** Fills pages that have no text with tesseract's, page by page until the deadline; reports each page's outcome. */
  private async ocr(pages: Line[][], input: string | Uint8Array, deadline: number): Promise<OcrStatus[]> {
    const blank = pages.map((lines, i) => lines.some((l) => /\S/.test(l.text)) ? -1 : i).filter((i) => i >= 0)
    if (blank.length === 0) return []
    if (this.limits.ocr === false) return blank.map((i) => ({ page: i + 1, status: 'unavailable', reason: 'OCR is disabled (FULLTEXT_OCR_LANGUAGE=off)' }))
    const tools = await ocrAvailability()
    if (!tools.available) return blank.map((i) => ({ page: i + 1, status: 'unavailable', reason: tools.reason! }))
    let file = typeof input === 'string' ? input : undefined
    let dir: string | undefined
    const statuses: OcrStatus[] = []
    try {
      if (!file) {
        dir = await makeTempDir('pdf')
        file = path.join(dir, 'input.pdf')
        await fs.writeFile(file, input)
      }
      for (const i of blank) {
        const left = deadline - Date.now()
        if (left <= 0) { statuses.push({ page: i + 1, status: 'failed', reason: 'time limit reached before this page' }); continue }
        try {
          const text = await ocrPage(file, i + 1, { language: this.limits.ocr, signal: AbortSignal.timeout(left) })
          pages[i] = text.split('\n').map((t) => ({ text: normaliseText(t).replace(/\s+/g, ' ').trim(), size: 0 }))
          statuses.push({ page: i + 1, status: 'done' })
        } catch (error) {
          const reason = (error as Error).name === 'AbortError' ? 'time limit reached during OCR' : `OCR failed: ${(error as Error).message.split('\n')[0]}`
          statuses.push({ page: i + 1, status: 'failed', reason })
        }
      }
    } finally {
      if (dir) await fs.rm(dir, { recursive: true, force: true })
    }
    return statuses
  }
}

/** Extracts one PDF (a path or its bytes) in a worker of its own. */
export async function extractPdf(input: string | Uint8Array, limits: ExtractLimits): Promise<ExtractOutcome> {
  const extractor = new PdfExtractor(limits)
  try {
    return await extractor.extract(input)
  } finally {
    await extractor.close()
  }
}
