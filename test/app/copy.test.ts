import t from 'tap'
import { copyInStatements } from '../../src/db/copy.ts'
import { build, needsServices } from '../helper.ts'

t.test('COPY in statements: every row once and in order, failures on either side stop both', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const client = await app.pg.pool.connect()
  t.teardown(() => client.release())
  await client.query('CREATE TEMP TABLE copied (n integer NOT NULL, label text)')
  // Counts the COPY statements, to see that the rows were split.
  await client.query('CREATE TEMP TABLE statements (at timestamptz)')
  await client.query(`CREATE FUNCTION pg_temp.count_statement() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO statements VALUES (clock_timestamp()); RETURN NULL; END $$`)
  await client.query('CREATE TRIGGER copied_statement AFTER INSERT ON copied FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.count_statement()')

  let closed: boolean | undefined
  async function* rows(count: number, failAt?: number): AsyncGenerator<unknown[]> {
    try {
      for (let n = 0; n < count; n++) {
        if (n === failAt) throw new Error(`parser failed at ${n}`)
        yield [n, n % 7 === 0 ? null : `row\t${n}\nwith "quotes" and \\ backslash`]
      }
    } finally {
      closed = true
    }
  }

  await copyInStatements(client, 'copied', ['n', 'label'], rows(2500), 1000)
  const { rows: stored } = await client.query('SELECT n, label FROM copied ORDER BY n')
  t.equal(stored.length, 2500)
  t.ok(stored.every((r, i) => r.n === i), 'every row once')
  t.equal(stored[1].label, 'row\t1\nwith "quotes" and \\ backslash', 'values escaped')
  t.equal(stored[7].label, null)
  t.equal((await client.query('SELECT count(*)::int AS n FROM statements')).rows[0].n, 3, '1,000 + 1,000 + 500 rows')

  await client.query('BEGIN')
  await t.rejects(copyInStatements(client, 'copied', ['n', 'label'], rows(5000, 1500), 1000), /parser failed at 1500/, 'a parser error ends the copy')
  await client.query('ROLLBACK')

  closed = false
  await client.query('BEGIN')
  const bad = (async function* () {
    for await (const row of rows(5000)) yield row[0] === 1200 ? ['not a number', 'x'] : row
  })()
  await t.rejects(copyInStatements(client, 'copied', ['n', 'label'], bad, 1000), /invalid input syntax for type integer/, 'a database error ends the copy')
  await client.query('ROLLBACK')
  t.ok(closed, 'and stops the parser')
  t.equal((await client.query('SELECT count(*)::int AS n FROM copied')).rows[0].n, 2500, 'nothing of the failed copies is left')
})
