/** Helpers shared by the service benchmarks: free ports, a server child process, readiness polling. */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import net from 'node:net'

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

export interface ServerProcess {
  child: ChildProcess
  port: number
  stop(): Promise<void>
}

/**
 * How the service runs: from the TypeScript sources through tsx (`npm start`)
 * or compiled to JavaScript (`npm run build`, then `npm run start:prod`).
 */
export type ServerBuild = 'tsx' | 'built'

/** Starts the service in its own process and resolves once /api/health/ready answers 200. */
export async function startServer(env: Record<string, string | undefined>, build: ServerBuild = 'tsx'): Promise<ServerProcess & { readyMs: number }> {
  if (build === 'built' && !existsSync('dist/src/server.js')) throw new Error('dist/src/server.js is missing: run `npm run build` first')
  const port = await freePort()
  const started = performance.now()
  const args = build === 'built' ? ['dist/src/server.js'] : ['--import', 'tsx', 'src/server.ts']
  const child = spawn(process.execPath, args, {
    env: { ...process.env, LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: String(port), ...env }, stdio: ['ignore', 'ignore', 'inherit']
  })
  let exited = false
  child.on('exit', () => { exited = true })
  for (;;) {
    if (exited) throw new Error('server exited during start-up')
    const ok = await fetch(`http://127.0.0.1:${port}/api/health/ready`).then((r) => r.status === 200, () => false)
    if (ok) break
    await new Promise((r) => setTimeout(r, 10))
  }
  const readyMs = performance.now() - started
  return {
    child, port, readyMs,
    stop: () => new Promise((resolve) => {
      if (exited) return resolve()
      child.once('exit', () => resolve())
      child.kill('SIGTERM')
    })
  }
}

/** A process's current and peak resident set size in bytes, from /proc (Linux). */
export function processMemory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kilobytes = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024
  return { rss: kilobytes('VmRSS'), peak: kilobytes('VmHWM') }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
