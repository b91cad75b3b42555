/**
 * Time from process start to ready (GET /api/health/ready = 200), median of
 * several starts, with an external PostgreSQL and with the embedded one.
 *   npx tsx bench/startup.ts [runs] [--built]
 * With --built, the compiled service (`npm run build` first), as in production.
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { startEmbeddedPostgres } from '../src/db/embedded.ts'
import { freePort, onFreePort, median, startServer, type ServerBuild } from './support.ts'

const runs = Number(process.argv.slice(2).find((arg) => !arg.startsWith('--')) ?? 5)
const build: ServerBuild = process.argv.includes('--built') ? 'built' : 'tsx'
const root = await fs.mkdtemp(path.join(os.tmpdir(), 'analylit-bench-'))
await fs.chmod(root, 0o755)

// "External" PostgreSQL: a separate server the service connects to by DATABASE_URL.
const external = await onFreePort((port) => startEmbeddedPostgres({ dataDir: path.join(root, 'external'), port }))
const externalTimes: number[] = []
const externalCpu: number[] = []
for (let i = 0; i < runs; i++) {
  const server = await startServer({ DATABASE_URL: external.url, STORAGE_DIR: path.join(root, 'files') }, build)
  externalTimes.push(server.readyMs)
  externalCpu.push(server.readyCpuMs)
  await server.stop()
}
await external.stop()

const embeddedDir = path.join(root, 'embedded')
const embeddedPort = String(await freePort())
const embeddedTimes: number[] = []
let firstStart = 0
for (let i = 0; i <= runs; i++) {
  const server = await startServer({ DATABASE_URL: undefined, EMBEDDED_PG_DIR: embeddedDir, EMBEDDED_PG_PORT: embeddedPort, STORAGE_DIR: path.join(root, 'files') }, build)
  if (i === 0) firstStart = server.readyMs
  else embeddedTimes.push(server.readyMs)
  await server.stop()
}
await fs.rm(root, { recursive: true, force: true })

console.log(`service run ${build === 'built' ? 'compiled' : 'through tsx'}`)
console.log(`start to ready, external PostgreSQL: median ${median(externalTimes).toFixed(0)} ms over ${runs} starts (${externalTimes.map((t) => t.toFixed(0)).join(', ')}); ` +
  `CPU of the service process to ready: median ${median(externalCpu).toFixed(0)} ms (${externalCpu.join(', ')})`)
console.log(`start to ready, embedded PostgreSQL: median ${median(embeddedTimes).toFixed(0)} ms over ${runs} starts (${embeddedTimes.map((t) => t.toFixed(0)).join(', ')})`)
console.log(`start to ready, embedded PostgreSQL, first start (initdb + migrations): ${firstStart.toFixed(0)} ms`)
