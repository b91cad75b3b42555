/**
 * `npm run build:web`: builds the web application (web/, with Vite) into
 * web/dist, then writes a Brotli (.br) and a gzip (.gz) copy of every text
 * file worth compressing, which the service sends to browsers that accept
 * them (plugins/web.ts). Also the `prepare` script, so `npm ci` builds the
 * UI on a fresh clone; without web/ or without Vite installed
 * (`npm ci --omit=dev`) it says so and succeeds.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import fs from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { brotliCompress, constants, gzip } from 'node:zlib'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const COMPRESSIBLE = /\.(?:html|js|mjs|css|svg|json|txt|xml|map|wasm|ttf|otf|ico)$/i
const MIN_BYTES = 1024

/** Writes `<file>.br` and `<file>.gz` next to each compressible file of `dir` when they are smaller; returns the bytes before and after Brotli. */
export async function compressDir(dir: string): Promise<{ files: number; bytes: number; brotliBytes: number }> {
  const totals = { files: 0, bytes: 0, brotliBytes: 0 }
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true })
  await Promise.all(entries.filter((e) => e.isFile() && COMPRESSIBLE.test(e.name)).map(async (entry) => {
    const file = path.join(entry.parentPath, entry.name)
    const data = await fs.readFile(file)
    if (data.length < MIN_BYTES) return
    const [br, gz] = await Promise.all([
      promisify(brotliCompress)(data, { params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } }),
      promisify(gzip)(data, { level: 9 })
    ])
    if (br.length < data.length) await fs.writeFile(`${file}.br`, br)
    if (gz.length < data.length) await fs.writeFile(`${file}.gz`, gz)
    totals.files++
    totals.bytes += data.length
    totals.brotliBytes += Math.min(br.length, data.length)
  }))
  return totals
}

async function main(): Promise<void> {
  const web = path.join(ROOT, 'web')
  if (!existsSync(path.join(web, 'index.html'))) return console.log('build:web: no web/index.html, nothing to build')
  let vite: string
  try {
    const require = createRequire(import.meta.url)
    vite = path.join(path.dirname(require.resolve('vite/package.json')), 'bin/vite.js')
  } catch {
    return console.log('build:web: Vite is not installed (production install?): web/dist left as it is')
  }
  const started = Date.now()
  execFileSync(process.execPath, [vite, 'build', web, '--emptyOutDir'], { cwd: ROOT, stdio: 'inherit' })
  const totals = await compressDir(path.join(web, 'dist'))
  console.log(`build:web: web/dist built in ${((Date.now() - started) / 1000).toFixed(1)} s; ${totals.files} files precompressed, ${totals.bytes} bytes → ${totals.brotliBytes} with Brotli`)
}

if (import.meta.url === `file://${process.argv[1]}`) await main()
