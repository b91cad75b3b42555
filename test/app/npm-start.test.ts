import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import path from 'node:path'
import net from 'node:net'
import { needsServices, tempDir, waitFor } from '../helper.ts'
import { freePort, listeningAt } from '../support/ports.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')

/** Whether something accepts connections on a loopback port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}

// Process managers and terminals signal the process they launched: `npm start`'s npm. The service and the
// embedded PostgreSQL it started must stop with it, not stay behind on their ports.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`${signal} to npm start stops the service and its embedded PostgreSQL`, { skip: needsServices }, async (t) => {
    const dir = await tempDir(t)
    const pgPort = await freePort()
    // No DATABASE_URL: the service starts its embedded PostgreSQL, as on a newcomer's machine.
    const { DATABASE_URL: _external, ...inherited } = process.env
    const env = {
      ...inherited, EMBEDDED_PG_DIR: path.join(dir, 'pg'), EMBEDDED_PG_PORT: String(pgPort),
      STORAGE_DIR: path.join(dir, 'files'), HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info'
    }
    const npm = spawn('npm', ['start', '--silent'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    const exited = once(npm, 'exit')
    let log = ''
    npm.stdout.on('data', (c: Buffer) => { log += c.toString() })
    npm.stderr.on('data', (c: Buffer) => { log += c.toString() })
    t.teardown(() => { if (npm.exitCode === null) npm.kill('SIGKILL') })
    const origin = await waitFor(async () => npm.exitCode === null ? listeningAt(log) : Promise.reject(new Error(`npm start exited: ${log}`)), 120000, 200)
    const port = Number(new URL(origin).port)
    t.ok(await listening(pgPort), 'the embedded PostgreSQL runs')

    npm.kill(signal)
    await exited
    await waitFor(async () => !(await listening(port)) && !(await listening(pgPort)), 60000, 200)
    t.pass('neither the service nor PostgreSQL listens any more')
    t.match(log, /shutting down/, `the service shut down on ${signal}`)
  })
}
