/**
 * OCR of pages without a text layer through Debian tools found at run time:
 * `pdftoppm` (poppler-utils) renders the page to a PNG, `tesseract`
 * (tesseract-ocr) reads it. Both run as child processes with a deadline, so
 * OCR can be missing or fail without harming the caller.
 */
import { execFile } from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'
import { makeTempDir } from '../temp-dirs.ts'

const run = promisify(execFile)

export interface OcrAvailability { available: boolean; reason?: string }

let detected: Promise<OcrAvailability> | undefined

/** Whether `tesseract --version` and `pdftoppm -v` run; detected once per process. */
export function ocrAvailability(): Promise<OcrAvailability> {
  detected ??= detectOcrTools()
  return detected
}

/** Runs `tesseract --version` and `pdftoppm -v` (with the PATH of `env`) and says which one is missing. */
export async function detectOcrTools(env: NodeJS.ProcessEnv = process.env): Promise<OcrAvailability> {
  for (const [tool, args, pkg] of [['tesseract', ['--version'], 'tesseract-ocr'], ['pdftoppm', ['-v'], 'poppler-utils']] as const) {
    try {
      await run(tool, [...args], { timeout: 10_000, env })
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      return { available: false, reason: code === 'ENOENT' ? `${tool} is not installed (Debian package ${pkg})` : `${tool} does not run: ${(error as Error).message.split('\n')[0]}` }
    }
  }
  return { available: true }
}

/** Renders page `page` of the PDF at `pdfPath` at 300 dpi and returns tesseract's text. */
export async function ocrPage(pdfPath: string, page: number, options: { language: string; signal: AbortSignal }): Promise<string> {
  const dir = await makeTempDir('ocr')
  try {
    const prefix = path.join(dir, 'page')
    const exec = { signal: options.signal, maxBuffer: 32 * 1024 * 1024 }
    await run('pdftoppm', ['-f', String(page), '-l', String(page), '-r', '300', '-gray', '-png', '-singlefile', pdfPath, prefix], exec)
    const { stdout } = await run('tesseract', [`${prefix}.png`, '-', '-l', options.language], exec)
    return stdout
  } finally {
    await fs.rm(dir, { recursive: true, force: true })
  }
}
