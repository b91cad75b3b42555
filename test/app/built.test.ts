import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { stat } from 'node:fs/promises'
import path from 'node:path'
import { createTestDatabase, needsServices, tempDir, waitFor } from '../helper.ts'
import { buildService } from '../../scripts/build.ts'
import { listeningAt } from '../support/ports.ts'

// Production runs the compiled JavaScript (`npm run build`, `npm run start:prod`): the build must carry
// everything the service reads at run time, and its routes must load from the compiled files.
t.test('the compiled service seeds, boots with its routes under /api, and stops on SIGTERM', { skip: needsServices }, async (t) => {
  const dir = await tempDir(t)
  // Into a temporary directory: `npm test` never replaces the dist/ of a running `npm run start:prod`.
  const projectDist = () => stat(path.resolve(import.meta.dirname, '../../dist')).then((s) => ({ ino: s.ino, mtimeMs: s.mtimeMs }), () => 'absent')
  const distBefore = await projectDist()
  const dist = await buildService(path.join(dir, 'dist'))
  t.same(await projectDist(), distBefore, 'the project\'s dist/ left as it was')
  const url = await createTestDatabase(t)
  const env = { ...process.env, DATABASE_URL: url, STORAGE_DIR: path.join(dir, 'files'), ADMIN_TOKEN_FILE: path.join(dir, 'admin-token'), LOG_LEVEL: 'warn' }

  const init = spawn(process.execPath, [path.join(dist, 'scripts/init-db.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let initOutput = ''
  init.stdout.on('data', (c: Buffer) => { initOutput += c.toString() })
  init.stderr.on('data', (c: Buffer) => { initOutput += c.toString() })
  const [initCode] = await once(init, 'exit')
  t.equal(initCode, 0, `init-db (migrations and seed data found in the build): ${initOutput}`)

  // On a port of its own choosing (PORT=0), read from its log line "Server listening at …".
  const server = spawn(process.execPath, [path.join(dist, 'src/server.js')], { env: { ...env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = once(server, 'exit')
  t.teardown(() => { if (server.exitCode === null) server.kill('SIGKILL') })
  let log = ''
  server.stdout.on('data', (c: Buffer) => { log += c.toString() })
  const origin = await waitFor(async () => server.exitCode === null ? listeningAt(log) : Promise.reject(new Error(`the server exited: ${log}`)), 30000)
  const base = `${origin}/api`
  await waitFor(async () => (await fetch(`${base}/health/ready`).catch(() => undefined))?.status === 200, 30000)
  const projects = await fetch(`${base}/projects`)
  t.equal(projects.status, 401, 'a route loaded from the compiled routes/ asks for a token')
  t.match(await projects.json(), { error: String })
  const token = /alt_[\w-]+/.exec(initOutput)![0]
  const me = await fetch(`${base}/me`, { headers: { authorization: `Bearer ${token}` } })
  t.equal(me.status, 200, 'the seeded administrator is known')
  server.kill('SIGTERM')
  const [code] = await exited
  t.equal(code, 0, 'clean exit on SIGTERM')
})
