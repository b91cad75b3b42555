import { spawn } from 'node:child_process'

/** Runs `scripts/init-db.ts` in a child process with `env` added; its exit code and output (stdout and stderr). */
export function initDb(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/init-db.ts'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (c: Buffer) => { out += c.toString() })
    child.stderr.on('data', (c: Buffer) => { out += c.toString() })
    child.on('exit', (code) => resolve({ code, out }))
  })
}
