/**
 * The web application's speed, measured in chromium:
 * - the JavaScript the screening route loads, compressed (brotli and gzip sizes of the
 *   files the browser fetched, listed by the Performance API's resource timings);
 * - the time from a decision (key `e`) to the next record on screen, from the
 *   app's performance marks (`analylit:decision` → `analylit:record-shown`).
 *   npm run build:web && npx tsx bench/web.ts [decisions]
 * (the service serves web/dist; the bench's user rides on a bearer header)
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { chromium } from 'playwright-core'
import { startEmbeddedPostgres } from '../src/db/embedded.ts'
import { loadConfig } from '../src/config.ts'
import { buildServer } from '../src/server.ts'
import { createUser, issueToken } from '../src/auth/users.ts'
import { CHROMIUM } from '../test/e2e/support.ts'
import { freePort, onFreePort } from './support.ts'

const decisions = Number(process.argv[2] ?? 40)
const root = await fs.mkdtemp(path.join(os.tmpdir(), 'analylit-bench-'))
await fs.chmod(root, 0o755)
const database = await onFreePort((port) => startEmbeddedPostgres({ dataDir: path.join(root, 'pg'), port }))
const port = await freePort()
const app = buildServer(loadConfig({ DATABASE_URL: database.url, STORAGE_DIR: path.join(root, 'files'), LOG_LEVEL: 'warn' }))
await app.listen({ port, host: '127.0.0.1' })
const url = `http://127.0.0.1:${port}`
const user = await createUser(app.db, { email: 'bench@example.org', isAdmin: true })
const { token } = await issueToken(app.db, user.id)
const headers = { authorization: `Bearer ${token}` }

const project = await (await fetch(`${url}/api/projects/`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Bench' }) })).json()
const form = new FormData()
form.append('file', new Blob([await fs.readFile(path.resolve(import.meta.dirname, '../../shared/datasets/screening/Cohen_2006/ADHD.csv'))]), 'ADHD.csv')
form.append('importLabels', 'false')
const task = await (await fetch(`${url}/api/projects/${project.id}/imports`, { method: 'POST', headers, body: form })).json()
for (;;) {
  const t = await (await fetch(`${url}/api/tasks/${task.id}`, { headers })).json()
  if (t.status === 'succeeded') break
  if (t.status === 'failed') throw new Error(t.error)
  await new Promise((r) => setTimeout(r, 200))
}

const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run'] })
try {
  const page = await (await browser.newContext({ baseURL: url, extraHTTPHeaders: headers })).newPage()
  await page.goto(`/projects/${project.id}/screening`)
  const record = page.locator('article[data-article-id]')
  await record.waitFor()
  const scripts: string[] = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.endsWith('.js')))
  let raw = 0, br = 0, gz = 0
  for (const script of scripts) {
    const file = path.resolve(import.meta.dirname, '../web/dist', `.${new URL(script).pathname}`)
    raw += (await fs.stat(file)).size
    br += (await fs.stat(`${file}.br`)).size
    gz += (await fs.stat(`${file}.gz`)).size
  }
  console.log(`screening route JavaScript: ${scripts.length} files, ${raw} bytes, brotli ${br} bytes, gzip ${gz} bytes (target ≤ 250 KB compressed)`)

  for (let i = 0; i < decisions; i++) {
    const id = await record.getAttribute('data-article-id')
    await page.keyboard.press('e')
    while ((await record.getAttribute('data-article-id')) === id) await new Promise((r) => setTimeout(r, 5))
  }
  const latencies: number[] = await page.evaluate(() => {
    const marks = performance.getEntriesByType('mark')
    const out: number[] = []
    let decision: number | undefined
    for (const m of marks) {
      if (m.name === 'analylit:decision') decision = m.startTime
      else if (m.name === 'analylit:record-shown' && decision !== undefined) { out.push(m.startTime - decision); decision = undefined }
    }
    return out
  })
  latencies.sort((a, b) => a - b)
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(1)
  console.log(`next record after a decision: ${latencies.length} decisions, median ${q(0.5)} ms, p95 ${q(0.95)} ms, max ${q(1)} ms (target ≤ 100 ms)`)
} finally {
  await browser.close()
  await app.close()
  await database.stop()
  await fs.rm(root, { recursive: true, force: true })
}
