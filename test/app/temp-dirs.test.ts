import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { makeTempDir, removeStaleTempDirs } from '../../src/temp-dirs.ts'
import { build, needsServices, waitFor } from '../helper.ts'

const DAY = 24 * 60 * 60 * 1000

/** A directory of fake leftovers: working directories a day and more old or recent, and things that are not ours. */
async function leftovers(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'leftovers-'))
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }))
  const make = async (name: string, ageMs: number, kind: 'dir' | 'file' = 'dir') => {
    const full = path.join(dir, name)
    if (kind === 'dir') {
      await fs.mkdir(full)
      await fs.writeFile(path.join(full, 'part.xml'), 'x')
    } else {
      await fs.writeFile(full, 'x')
    }
    const at = new Date(Date.now() - ageMs)
    await fs.utimes(full, at, at)
  }
  await make('analylit-xlsx-killed', 2 * DAY)
  await make('analylit-ocr-killed', DAY + 60_000)
  await make('analylit-pdf-working', 60_000)
  await make('analylit-xlsx-a-file', 3 * DAY, 'file')
  await make('someone-elses-dir', 3 * DAY)
  return dir
}

t.test('working directories unchanged for a day are removed; recent ones and anything else stay', async (t) => {
  const dir = await leftovers()
  t.same((await removeStaleTempDirs(dir)).sort(), ['analylit-ocr-killed', 'analylit-xlsx-killed'])
  t.same((await fs.readdir(dir)).sort(), ['analylit-pdf-working', 'analylit-xlsx-a-file', 'someone-elses-dir'])
  t.same(await removeStaleTempDirs(path.join(dir, 'missing')), [], 'no temp directory: nothing to do')
  const made = await makeTempDir('xlsx')
  t.teardown(() => fs.rm(made, { recursive: true, force: true }))
  t.match(path.basename(made), /^analylit-xlsx-/, 'the makers use the prefixes swept')
})

t.test('the service sweeps the temp directory once ready', { skip: needsServices }, async (t) => {
  const dir = await leftovers()
  const before = process.env.TMPDIR
  process.env.TMPDIR = dir
  t.teardown(() => { if (before === undefined) delete process.env.TMPDIR; else process.env.TMPDIR = before })
  await build(t)
  await waitFor(async () => !(await fs.readdir(dir)).includes('analylit-xlsx-killed'), 10000)
  t.same((await fs.readdir(dir)).sort(), ['analylit-pdf-working', 'analylit-xlsx-a-file', 'someone-elses-dir'])
})
