/**
 * Shared by test/app/import-atomicity*.test.ts. Import atomicity, proven after records were written: an import is stopped
 * (kill -9, cancellation, a record the database refuses) once it has stored
 * GATE_AT records inside its transaction, in both job modes, and must leave
 * no article, no original and no source batch. The import is held there by a
 * trigger this test creates on `articles`: at record GATE_AT it waits for an
 * advisory lock the test holds (or refuses the record), so the moment is
 * exact and no sleep is involved. Without the transaction in
 * src/jobs/import-references.ts the first COPY statements (1,000 rows each)
 * would be committed by then, and every test here fails.
 */
import type { Test } from 'tap'
import { fork, type ChildProcess } from 'node:child_process'
import pg from 'pg'
import type { FastifyInstance } from 'fastify'
import { fileUpload, taskFinished, userWithToken, waitFor } from '../helper.ts'

export const RECORDS = 3000
/** Records 0 … GATE_AT-1 are stored (two full COPY statements and half the third) when the gate closes. */
export const GATE_AT = 2500
export const START_TIMEOUT_MS = 60000

function risFile(records: number): string {
  const lines: string[] = []
  for (let i = 0; i < records; i++) {
    lines.push('TY  - JOUR', `TI  - Atomic import record ${i} on conversational agents`, 'AU  - Doe, Jane',
      `PY  - ${1990 + (i % 30)}`, `DO  - 10.1000/atomic.${i}`, 'ER  - ', '')
  }
  return lines.join('\n')
}
export const RIS = risFile(RECORDS)

const GATE_SQL = `
CREATE TABLE test_import_gate (project_id uuid PRIMARY KEY, action text NOT NULL, lock_key int NOT NULL DEFAULT 0, at_index int NOT NULL);
CREATE FUNCTION test_import_gate() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE g test_import_gate;
BEGIN
  SELECT * INTO g FROM test_import_gate WHERE project_id = NEW.project_id AND at_index = NEW.source_index;
  IF FOUND THEN
    IF g.action = 'block' THEN PERFORM pg_advisory_xact_lock_shared(g.lock_key);
    ELSIF g.action = 'refuse' THEN RAISE EXCEPTION 'record % refused by the test gate', NEW.source_index USING ERRCODE = 'check_violation';
    END IF;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER test_import_gate BEFORE INSERT ON articles FOR EACH ROW EXECUTE FUNCTION test_import_gate();`

/** The gate of one database: closes an import of a project at record GATE_AT, or makes that record fail. */
export class Gate {
  private key = 0
  private constructor(private readonly admin: pg.Client) {}

  static async install(t: Test, url: string): Promise<Gate> {
    const admin = new pg.Client({ connectionString: url })
    await admin.connect()
    t.teardown(() => admin.end())
    await admin.query(GATE_SQL)
    return new Gate(admin)
  }

  /** Holds the lock the project's import will wait for at record `at`; returns its key. */
  async block(projectId: string, at = GATE_AT): Promise<number> {
    const key = ++this.key
    await this.admin.query('SELECT pg_advisory_lock($1)', [key])
    await this.admin.query('INSERT INTO test_import_gate VALUES ($1, \'block\', $2, $3)', [projectId, key, at])
    return key
  }

  async refuse(projectId: string): Promise<void> {
    await this.admin.query('INSERT INTO test_import_gate VALUES ($1, \'refuse\', 0, $2)', [projectId, GATE_AT])
  }

  async open(projectId: string, key: number): Promise<void> {
    await this.admin.query('DELETE FROM test_import_gate WHERE project_id = $1', [projectId])
    await this.admin.query('SELECT pg_advisory_unlock($1)', [key])
  }

  /** Waits until an import waits at the gate, i.e. has written GATE_AT records; returns its backend's pid. */
  async waiting(key: number, timeoutMs = START_TIMEOUT_MS): Promise<number> {
    return waitFor(async () => (await this.admin.query(
      `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = $1
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`, [key])).rows[0]?.pid, timeoutMs, 20)
  }

  /** Waits until a backend has ended (its transaction is over, one way or the other). */
  async gone(pid: number): Promise<void> {
    await waitFor(async () => (await this.admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount === 0, 30000, 20)
  }

  /** What an import of the project left: articles, originals, source batches, imported labels. */
  async left(projectId: string): Promise<{ articles: number; originals: number; batches: number; decisions: number }> {
    const { rows } = await this.admin.query(`SELECT
      (SELECT count(*)::int FROM articles WHERE project_id = $1) AS articles,
      (SELECT count(*)::int FROM original_chunks c JOIN source_batches b ON b.id = c.batch_id WHERE b.project_id = $1) AS originals,
      (SELECT count(*)::int FROM source_batches WHERE project_id = $1) AS batches,
      (SELECT count(*)::int FROM decisions WHERE project_id = $1) AS decisions`, [projectId])
    return rows[0]
  }
}

export const NOTHING = { articles: 0, originals: 0, batches: 0, decisions: 0 }

export interface Child { child: ChildProcess; messages: string[]; exited: Promise<unknown> }

/** A service process (test/support/task-child.ts): a web process with in-process jobs, or a BullMQ worker. */
export function startChild(t: Test, env: Record<string, string>, role: 'web' | 'worker'): Child {
  const child = fork('test/support/task-child.ts', [role], {
    execArgv: ['--import', 'tsx'], env: { ...process.env, LOG_LEVEL: 'silent', PORT: '0', ...env }, stdio: ['ignore', 'ignore', 'inherit', 'ipc']
  })
  t.teardown(() => { child.kill('SIGKILL') })
  const messages: string[] = []
  child.on('message', (m) => messages.push(String(m)))
  const exited = new Promise((resolve) => child.once('exit', resolve))
  return { child, messages, exited }
}

export async function kill9(c: Child): Promise<void> {
  c.child.kill('SIGKILL')
  await c.exited
}

/** Through the API: the cancellation and refusal cases, the same in both modes. */
export async function cancelAndRefuse(t: Test, app: FastifyInstance, gate: Gate) {
  const alice = await userWithToken(app)
  const newProject = async (name: string) => (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name } })).json().id as string
  const startImport = async (projectId: string) => {
    const body = fileUpload('atomic.ris', RIS)
    const res = await app.inject({ method: 'POST', url: `/api/projects/${projectId}/imports`, headers: { ...alice.auth, ...body.headers }, payload: body.payload })
    if (res.statusCode !== 202) throw new Error(`import not accepted: ${res.body}`)
    return res.json().id as string
  }

  // At GATE_AT the import still reports progress afterwards (every 200 records); at the last record
  // only the check before COMMIT can notice the cancellation.
  for (const [at, when] of [[GATE_AT, `after ${GATE_AT} records`], [RECORDS - 1, 'while its last record is written']] as const) {
    await t.test(`cancelled ${when}: nothing is left`, async (t) => {
      const projectId = await newProject('Cancelled')
      const key = await gate.block(projectId, at)
      const taskId = await startImport(projectId)
      await gate.waiting(key)
      const cancel = await app.inject({ method: 'POST', url: `/api/tasks/${taskId}/cancel`, headers: alice.auth })
      t.equal(cancel.statusCode, 200, cancel.body)
      await gate.open(projectId, key)
      const task = await taskFinished(app, alice.auth, taskId)
      t.equal(task.status, 'cancelled')
      t.same(await gate.left(projectId), NOTHING, 'no article, original or batch of the cancelled import')
    })
  }

  await t.test(`record ${GATE_AT} refused by the database: the task fails and nothing is left`, async (t) => {
    const projectId = await newProject('Refused')
    await gate.refuse(projectId)
    const taskId = await startImport(projectId)
    const task = await taskFinished(app, alice.auth, taskId)
    t.equal(task.status, 'failed')
    t.match(task.error, /database refused/, 'a plain sentence, no SQL')
    t.same(await gate.left(projectId), NOTHING, `none of the ${GATE_AT} records read before the refused one is left`)
  })
}
