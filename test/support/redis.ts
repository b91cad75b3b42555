/**
 * A private redis-server for tests that stop and restart Redis: no snapshot,
 * no append-only file, so a restart comes back empty (as a Redis without
 * persistence does), and stopping it disturbs no other test.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { onFreePort } from './ports.ts'

export interface RedisServer {
  url: string
  port: number
  /** Kills the server (SIGKILL) and waits for it to exit. */
  stop(): Promise<void>
  /** Starts it again on the same port, empty. */
  start(): Promise<void>
  /** SIGSTOP / SIGCONT: connections stay open, commands get no answer. */
  pause(): void
  resume(): void
}

/** Starts a redis-server on `port`; fails with its output (e.g. "Address already in use") if it exits instead. */
export async function spawnRedis(port: number): Promise<ChildProcess> {
  const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] })
  await new Promise<void>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => { c.kill('SIGKILL'); reject(new Error(`redis-server did not start: ${out}`)) }, 10000)
    c.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes('Ready to accept connections')) { clearTimeout(timer); resolve() }
    })
    c.once('exit', (code) => { clearTimeout(timer); reject(new Error(`redis-server exited (${code}): ${out}`)) })
  })
  return c
}

export async function startRedisServer(t: { teardown(fn: () => unknown): void }): Promise<RedisServer> {
  let child: ChildProcess | undefined
  const port = await onFreePort(async (p) => { child = await spawnRedis(p); return p })
  const start = async () => { child = await spawnRedis(port) }
  const stop = async () => {
    const c = child
    child = undefined
    if (!c || c.exitCode !== null || c.signalCode !== null) return
    const exited = new Promise((resolve) => c.once('exit', resolve))
    c.kill('SIGKILL')
    await exited
  }
  t.teardown(stop)
  return {
    url: `redis://127.0.0.1:${port}`, port, stop, start,
    pause: () => { child?.kill('SIGSTOP') },
    resume: () => { child?.kill('SIGCONT') }
  }
}
