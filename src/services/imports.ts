/**
 * Accepting a bibliography file into a project (uploaded or downloaded):
 * checks the format now, so that a file that is not a bibliography gets a
 * clear 4xx instead of a failed task, then records the file and queues the
 * import task.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { randomUUID } from 'node:crypto'
import { eq } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { files } from '../db/schema.ts'
import { Invalid, Unprocessable } from '../errors.ts'
import { openReferenceFile, UnsupportedFormatError } from '../references/import.ts'
import { formats } from '../references/formats/index.ts'
import type { FormatId } from '../references/formats/types.ts'
import type { TaskService } from '../tasks/service.ts'
import type { TaskRow } from '../tasks/store.ts'
import { projectStorageDir } from './projects.ts'

export interface StoredFile {
  absolute: string
  name: string
  size: number
  sha256: string
  contentType?: string
  origin: 'upload' | 'url'
  originUrl?: string
}

export interface ImportOptions {
  format?: string
  sourceDatabase?: string
  importLabels?: boolean
}

/**
 * Where an incoming file is written before it is accepted: a generated name
 * (any original name fits the file system), keeping a short extension; the
 * original name is kept in `files.original_name`.
 */
export async function newUploadPath(storageDir: string, projectId: string, fileName: string): Promise<string> {
  const dir = path.join(projectStorageDir(storageDir, projectId), 'uploads')
  await fs.mkdir(dir, { recursive: true })
  const extension = /\.[A-Za-z0-9]{1,10}$/.exec(path.basename(fileName))?.[0] ?? ''
  return path.join(dir, `${randomUUID()}${extension.toLowerCase()}`)
}

export async function acceptBibliography(deps: { db: Database; tasks: TaskService; storageDir: string }, projectId: string, userId: string, stored: StoredFile, options: ImportOptions): Promise<TaskRow> {
  const reject = async <E>(error: E): Promise<E> => {
    await fs.rm(stored.absolute, { force: true })
    return error
  }
  const format = options.format as FormatId | undefined
  if (format && !formats.some((f) => f.id === format)) {
    throw await reject(new Invalid(`unknown format "${format}"; expected one of ${formats.map((f) => f.id).join(', ')}`, 'format'))
  }
  if (stored.size === 0) throw await reject(new Unprocessable('the file is empty', 'file'))
  try {
    await openReferenceFile(stored.absolute, { fileName: stored.name, format })
  } catch (err) {
    if (err instanceof UnsupportedFormatError) throw await reject(new Unprocessable(err.message, 'file'))
    await fs.rm(stored.absolute, { force: true })
    throw err
  }
  let fileId: string | undefined
  try {
    const [file] = await deps.db.insert(files).values({
      projectId, storagePath: path.relative(deps.storageDir, stored.absolute), originalName: stored.name, contentType: stored.contentType ?? null,
      size: stored.size, sha256: stored.sha256, origin: stored.origin, originUrl: stored.originUrl ?? null, createdBy: userId
    }).returning()
    fileId = file.id
    return await deps.tasks.submit({
      type: 'import-references', projectId, createdBy: userId,
      payload: { fileId: file.id, format, sourceDatabase: options.sourceDatabase || undefined, importLabels: options.importLabels ?? true }
    })
  } catch (err) {
    // No task (the queue is down, or the database failed): neither the row nor the file may stay behind.
    if (fileId) await deps.db.delete(files).where(eq(files.id, fileId)).catch(() => {})
    throw await reject(err)
  }
}
