/** A copy of the migrations folder holding only those before a given one, to test a migration over data stored before it. */
import fs from 'node:fs/promises'
import path from 'node:path'
import type { Test } from 'tap'
import { MIGRATIONS_DIR } from '../../src/db/migrate.ts'
import { tempDir } from '../helper.ts'

export async function migrationsBefore(t: Test, tag: string): Promise<string> {
  const dir = await tempDir(t, 'analylit-migrations-')
  await fs.cp(MIGRATIONS_DIR, dir, { recursive: true })
  const journalPath = path.join(dir, 'meta', '_journal.json')
  const journal = JSON.parse(await fs.readFile(journalPath, 'utf8')) as { entries: Array<{ tag: string }> }
  journal.entries = journal.entries.filter((e) => e.tag < tag)
  await fs.writeFile(journalPath, JSON.stringify(journal))
  return dir
}
