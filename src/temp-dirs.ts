/**
 * Working directories in the OS temp directory (an XLSX file's parts, a PDF to OCR, its page images).
 * Each is removed by the code that made it when it ends; one left by a process killed meanwhile
 * (kill -9, a machine that went down) is removed by the next start on that machine once it is a day
 * old, an age no working directory reaches while in use (their work is bounded by minutes).
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

const PREFIXES = { xlsx: 'analylit-xlsx-', pdf: 'analylit-pdf-', ocr: 'analylit-ocr-' } as const
const STALE_AFTER_MS = 24 * 60 * 60 * 1000

/** A new, empty working directory of `kind`. */
export function makeTempDir(kind: keyof typeof PREFIXES): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), PREFIXES[kind]))
}

/** Removes the working directories in `dir` unchanged for a day (by modification time); returns their names. */
export async function removeStaleTempDirs(dir = os.tmpdir(), now = Date.now()): Promise<string[]> {
  const names = (await fs.readdir(dir).catch(() => [] as string[])).filter((name) => Object.values(PREFIXES).some((prefix) => name.startsWith(prefix)))
  const removed: string[] = []
  for (const name of names) {
    const full = path.join(dir, name)
    const stats = await fs.lstat(full).catch(() => undefined)
    if (!stats?.isDirectory() || now - stats.mtimeMs < STALE_AFTER_MS) continue
    await fs.rm(full, { recursive: true, force: true })
    removed.push(name)
  }
  return removed
}
