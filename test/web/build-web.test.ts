import t from 'tap'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { compressDir } from '../../scripts/build-web.ts'
import { tempDir } from '../helper.ts'

t.test('build:web precompresses the text files worth it, and only those', async (t) => {
  const dir = await tempDir(t)
  await mkdir(path.join(dir, 'assets'))
  const script = 'export const words = ' + JSON.stringify('screening '.repeat(500))
  await writeFile(path.join(dir, 'assets/index-a1b2.js'), script)
  await writeFile(path.join(dir, 'index.html'), '<!doctype html><title>x</title>')
  await writeFile(path.join(dir, 'assets/logo.png'), Buffer.alloc(4096, 7))
  const totals = await compressDir(dir)
  t.equal(totals.files, 1)
  const js = path.join(dir, 'assets/index-a1b2.js')
  t.equal(brotliDecompressSync(await readFile(`${js}.br`)).toString(), script)
  t.equal(gunzipSync(await readFile(`${js}.gz`)).toString(), script)
  t.ok(totals.brotliBytes < totals.bytes / 10)
  t.notOk(existsSync(path.join(dir, 'index.html.br')), 'files under 1 KiB left alone')
  t.notOk(existsSync(path.join(dir, 'assets/logo.png.br')), 'images left alone')
})
