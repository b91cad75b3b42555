/**
 * Mutation check of the test suite: each fault below is put into a copy of
 * the committed code (HEAD, checked out with `git worktree add` into a
 * temporary directory, node_modules linked), and the test files named for it
 * are run there; a fault must make at least one of them fail ("caught").
 *
 *   npx tsx scripts/mutate.ts              every fault
 *   npx tsx scripts/mutate.ts kappa ws     the faults whose name contains one of the words
 *   npx tsx scripts/mutate.ts --check      only check that every pattern still matches
 *
 * Each `search` must occur exactly once in its file: when code moves, the
 * script stops at once naming the fault whose pattern is stale, so the list
 * is easy to keep up to date. Exit code 1 when a pattern is stale or a fault
 * survives.
 */
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

interface Fault { name: string; file: string; search: string; replace: string; tests: string[] }

// ───────────────────────────── the faults ─────────────────────────────
const FAULTS: Fault[] = [
  {
    name: 'import-transaction: no BEGIN, each COPY statement commits on its own',
    file: 'src/jobs/import-references.ts',
    search: "await client.query('BEGIN')",
    replace: '',
    tests: ['test/app/import-atomicity.test.ts', 'test/app/import-atomicity-bullmq.test.ts']
  },
  {
    name: 'import-cancel-check: no cancellation check before COMMIT',
    file: 'src/jobs/import-references.ts',
    search: 'await ctx.ensureNotCancelled()\n    await client.query(\'COMMIT\')',
    replace: "await client.query('COMMIT')",
    tests: ['test/app/import-atomicity.test.ts', 'test/app/import-atomicity-bullmq.test.ts']
  },
  {
    name: 'project-access: the project scope does not check membership',
    file: 'src/http/project-scope.ts',
    search: "const { project, role } = await requireProject(fastify.db, request.user, projectId, request.routeOptions.config.role ?? 'viewer')",
    replace: "const project = (await fastify.db.query.projects.findFirst({ where: (p, { eq }) => eq(p.id, projectId) }))!; const role = 'owner' as const",
    tests: ['test/app/isolation.test.ts']
  },
  {
    name: 'task-access: any user sees a task of any project',
    file: 'src/services/tasks.ts',
    search: 'if (!await isMember(deps.db, user.id, task.projectId)) throw notFound\n    await requireProject(deps.db, user, task.projectId, minimum)',
    replace: '',
    tests: ['test/app/isolation.test.ts']
  },
  {
    name: 'ws-access: subscription to any project',
    file: 'routes/ws.ts',
    search: 'const allowed = () => requireProject(fastify.db, request.user, projectId).then(() => true, () => false)',
    replace: 'const allowed = async () => true',
    tests: ['test/app/isolation.test.ts']
  },
  {
    name: 'resume: in-process tasks are not resumed at start-up',
    file: 'plugins/globals.ts',
    search: 'for (const row of await service.store.unfinished()) await service.deliver(row)',
    replace: '',
    tests: ['test/app/import-atomicity.test.ts']
  },
  {
    name: 'shutdown: running jobs are not stopped after SHUTDOWN_TIMEOUT_MS',
    file: 'src/tasks/in-process.ts',
    search: 'for (const r of this.running.values()) r.controller.abort(SHUTDOWN)',
    replace: 'void SHUTDOWN',
    tests: ['test/app/shutdown.test.ts']
  },
  {
    name: 'ris-notes: the RIS writer writes notes under N2 instead of N1',
    file: 'src/export/ris.ts',
    search: "text += line('N1', note)",
    replace: "text += line('N2', note)",
    tests: ['test/export/writers.test.ts', 'test/export/independent-readers.test.ts']
  },
  {
    name: 'kappa: the confusion matrix counts (a, b) in cell (b, a)',
    file: 'src/screening/agreement.ts',
    search: 'confusion[a][b]++',
    replace: 'confusion[b][a]++',
    tests: ['test/screening/agreement.test.ts']
  },
  {
    name: 'csv-quote: the CSV writer leaves double quotes inside a cell undoubled',
    file: 'src/export/csv.ts',
    search: ".replace(/\"/g, '\"\"')",
    replace: '',
    tests: ['test/export/writers.test.ts', 'test/export/independent-readers.test.ts']
  }
]
// ──────────────────────────────────────────────────────────────────────

const root = path.resolve(import.meta.dirname, '..')
const args = process.argv.slice(2)
const checkOnly = args.includes('--check')
const words = args.filter((a) => !a.startsWith('--'))
const chosen = FAULTS.filter((f) => words.length === 0 || words.some((w) => f.name.includes(w)))

function git(cwd: string, ...gitArgs: string[]): string {
  const r = spawnSync('git', gitArgs, { cwd, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`git ${gitArgs.join(' ')}: ${r.stderr}`)
  return r.stdout
}

function occurrences(text: string, search: string): number {
  let n = 0
  for (let i = text.indexOf(search); i >= 0; i = text.indexOf(search, i + search.length)) n++
  return n
}

/** Every pattern must match exactly once, in the committed code, before anything runs. */
function checkPatterns(dir: string): void {
  const stale = chosen.flatMap((f) => {
    const file = path.join(dir, f.file)
    if (!fs.existsSync(file)) return [`${f.name}: ${f.file} does not exist`]
    const n = occurrences(fs.readFileSync(file, 'utf8'), f.search)
    const missingTests = f.tests.filter((t) => !fs.existsSync(path.join(dir, t)))
    return [
      ...(n === 1 ? [] : [`${f.name}: the pattern occurs ${n} times in ${f.file} (must be once): ${JSON.stringify(f.search)}`]),
      ...missingTests.map((t) => `${f.name}: test file ${t} does not exist`)
    ]
  })
  if (stale.length > 0) {
    console.error(`stale fault list (scripts/mutate.ts):\n  ${stale.join('\n  ')}`)
    process.exit(1)
  }
}

function runTests(dir: string, tests: string[]): Promise<{ code: number | null; summary: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/run.ts', ...tests], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (c: Buffer) => { out += c.toString() })
    child.stderr.on('data', (c: Buffer) => { out += c.toString() })
    child.on('exit', (code) => {
      const summary = /# \{ total: .*\}/.exec(out)?.[0] ?? out.trim().split('\n').slice(-3).join(' | ')
      resolve({ code, summary })
    })
  })
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'analylit-mutate-'))
const copy = path.join(tmp, 'repo')
git(root, 'worktree', 'add', '--detach', copy, 'HEAD')
const cleanup = () => {
  try { git(root, 'worktree', 'remove', '--force', copy) } catch { /* already gone */ }
  fs.rmSync(tmp, { recursive: true, force: true })
}
process.once('SIGINT', () => { cleanup(); process.exit(130) })
try {
  checkPatterns(copy)
  if (checkOnly) {
    console.log(`${chosen.length} fault patterns match once each`)
  } else {
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'))
    // The shared datasets are found relative to the repository (test/helper.ts DATASETS).
    const datasets = path.resolve(root, '../shared')
    if (fs.existsSync(datasets) && !fs.existsSync(path.join(tmp, 'shared'))) fs.symlinkSync(datasets, path.join(tmp, 'shared'))
    let survived = 0
    console.log('| fault | test files | result |\n|---|---|---|')
    for (const fault of chosen) {
      const file = path.join(copy, fault.file)
      const original = fs.readFileSync(file, 'utf8')
      fs.writeFileSync(file, original.replace(fault.search, () => fault.replace))
      const { code, summary } = await runTests(copy, fault.tests)
      fs.writeFileSync(file, original)
      const caught = code !== 0
      if (!caught) survived++
      console.log(`| ${fault.name} | ${fault.tests.map((t) => path.basename(t)).join(', ')} | ${caught ? 'caught' : 'SURVIVED'}: ${summary} |`)
    }
    console.log(`\n${chosen.length - survived} of ${chosen.length} faults caught`)
    process.exitCode = survived > 0 ? 1 : 0
  }
} finally {
  cleanup()
}
