import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { storeRanking } from '../../src/services/screening-ranking.ts'
import { build, fileUpload, needsServices, taskFinished, userWithToken } from '../helper.ts'

const ris = (records: Array<{ title: string; doi: string }>) => records.map((r) =>
  `TY  - JOUR\nTI  - ${r.title}\nAU  - Doe, Jane\nPY  - 2021\nJO  - Journal of Tests\nDO  - ${r.doi}\nAB  - An abstract about ${r.title}.\nER  - \n`).join('\n')

interface Page { items: Array<{ id: string; title: string; decision: string | null; relevance: number | null; duplicateOf: string | null }>; total: number }

/** A client of one project's article list that remembers the ETag of each query, as a browser would. */
function pageClient(app: FastifyInstance, projectId: string, auth: { authorization: string }) {
  const etags = new Map<string, string>()
  return async (query = 'pageSize=50&sort=title'): Promise<{ status: number; etag: string; page?: Page }> => {
    const known = etags.get(query)
    const res = await app.inject({ url: `/api/projects/${projectId}/articles?${query}`, headers: { ...auth, ...(known ? { 'if-none-match': known } : {}) } })
    const etag = String(res.headers.etag)
    etags.set(query, etag)
    return { status: res.statusCode, etag, ...(res.statusCode === 200 ? { page: res.json() as Page } : {}) }
  }
}

t.test('article pages: ETag and 304, and every writer of what a page shows changes the page', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const alice = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Pages' } })).json()
  const base = `/api/projects/${project.id}`
  const get = pageClient(app, project.id, alice.auth)
  const task = async (res: { statusCode: number; json(): { id: string } }) => {
    t.equal(res.statusCode, 202, 'task accepted')
    const done = await taskFinished(app, alice.auth, res.json().id)
    t.equal(done.status, 'succeeded', JSON.stringify(done.error))
    return done
  }
  const upload = async (content: string) => {
    const body = fileUpload('refs.ris', content)
    return task(await app.inject({ method: 'POST', url: `${base}/imports`, headers: { ...alice.auth, ...body.headers }, payload: body.payload }))
  }
  // Decisions queue a retraining that writes relevance scores in the background: wait for it to be done.
  const trainingsDone = async () => {
    await app.tasks.backgroundSettled() // queued once the decision is answered
    const tasks = (await app.inject({ url: `${base}/tasks`, headers: alice.auth })).json() as Array<{ id: string; status: string }> | { items: Array<{ id: string; status: string }> }
    for (const each of Array.isArray(tasks) ? tasks : tasks.items) {
      if (each.status === 'queued' || each.status === 'running') await taskFinished(app, alice.auth, each.id)
    }
  }

  const empty = await get()
  t.equal(empty.status, 200)
  t.match(empty.etag, /^"\d+-[\w-]+"$/, 'a strong ETag')
  t.equal((await get()).status, 304, 'unchanged: 304 to a client holding the page')
  const plain = await app.inject({ url: `${base}/articles?pageSize=50&sort=title`, headers: alice.auth })
  t.equal(plain.statusCode, 200, 'a client without If-None-Match gets the page')
  t.equal(plain.headers.etag, empty.etag, 'with the same ETag')
  t.equal(plain.headers['cache-control'], 'private, no-cache')

  await t.test('import', async (t) => {
    await upload(ris([{ title: 'Alpha trial', doi: '10.1/a' }, { title: 'Beta cohort', doi: '10.1/b' }, { title: 'Gamma survey', doi: '10.1/c' }]))
    const after = await get()
    t.equal(after.status, 200)
    t.not(after.etag, empty.etag)
    t.same(after.page?.items.map((a) => a.title), ['Alpha trial', 'Beta cohort', 'Gamma survey'])
  })

  let duplicateId = ''
  await t.test('deduplication (the one that follows an import)', async (t) => {
    await upload(ris([{ title: 'Alpha trial', doi: '10.1/a' }, { title: 'Delta study', doi: '10.1/d' }]))
    const after = await get()
    t.equal(after.status, 200)
    t.equal(after.page?.total, 4, 'the duplicate is not listed')
    const all = (await app.inject({ url: `${base}/articles?includeDuplicates=true`, headers: alice.auth })).json() as Page
    duplicateId = all.items.find((a) => a.duplicateOf !== null)?.id ?? ''
    t.ok(duplicateId)
  })

  await t.test('split of a duplicate cluster', async (t) => {
    await task(await app.inject({ method: 'POST', url: `${base}/duplicates/split`, headers: alice.auth, payload: { articleId: duplicateId } }))
    const after = await get()
    t.equal(after.status, 200)
    t.equal(after.page?.total, 5)
  })

  const alpha = (await get('pageSize=50&sort=title&includeDuplicates=false')).page?.items.find((a) => a.title === 'Beta cohort')?.id ?? ''
  await t.test('decision', async (t) => {
    const res = await app.inject({ method: 'POST', url: `${base}/articles/${alpha}/decisions`, headers: alice.auth, payload: { decision: 'exclude', tags: ['rct'] } })
    t.equal(res.statusCode, 201)
    const after = await get()
    t.equal(after.status, 200)
    t.equal(after.page?.items.find((a) => a.id === alpha)?.decision, 'exclude')
    await trainingsDone()
  })

  await t.test('relevance scores (written by a training, in whichever process)', async (t) => {
    t.equal((await get()).status, 304)
    const { rows } = await app.pg.pool.query<{ id: string }>('SELECT id FROM articles WHERE project_id = $1', [project.id])
    const ranking = { ids: Buffer.from(rows.map((r) => r.id.replace(/-/g, '')).join(''), 'hex'), scores: new Float32Array(rows.length).fill(0.25) }
    await app.db.transaction((tx) => storeRanking(tx, project.id, 'title_abstract', 'model', ranking))
    const after = await get()
    t.equal(after.status, 200)
    t.ok(after.page?.items.every((a) => a.relevance === 0.25))
  })

  await t.test('any statement on articles or decisions, at commit only', async (t) => {
    const settled = await get()
    t.equal(settled.status, 304)
    const client = await app.pg.pool.connect()
    try {
      await client.query('BEGIN')
      await client.query('DELETE FROM articles WHERE id = $1', [alpha])
      t.equal((await get()).status, 304, 'an uncommitted deletion changes nothing')
      await client.query('ROLLBACK')
      t.equal((await get()).status, 304, 'nor a rolled-back one')
      await client.query('BEGIN')
      await client.query('DELETE FROM articles WHERE id = $1', [alpha])
      await client.query('COMMIT')
    } finally {
      client.release()
    }
    const deleted = await get()
    t.equal(deleted.status, 200)
    t.notOk(deleted.page?.items.some((a) => a.id === alpha), 'the deleted article is gone')
    const [{ id: someone }] = deleted.page?.items ?? []
    await app.pg.pool.query('INSERT INTO decisions (project_id, article_id, decision, source, model) VALUES ($1, $2, \'maybe\', \'llm\', \'test\')', [project.id, someone])
    const llm = await get()
    t.equal(llm.status, 200, 'a decision written by another process (an LLM run)')
    t.equal(llm.page?.items.find((a) => a.id === someone)?.decision, 'maybe')
  })
})

t.test('article pages: one reviewer\'s blind view is never served to another', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const alice = await userWithToken(app)
  const bob = await userWithToken(app)
  const carol = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Blind' } })).json()
  const base = `/api/projects/${project.id}`
  for (const user of [bob, carol]) await app.inject({ method: 'PUT', url: `${base}/members`, headers: alice.auth, payload: { email: user.user.email, role: 'reviewer' } })
  const settings = await app.inject({ method: 'PATCH', url: `${base}/screening-settings`, headers: alice.auth, payload: { reviewersPerRecord: 2, blind: true } })
  t.equal(settings.statusCode, 200)
  const body = fileUpload('refs.ris', ris([{ title: 'Only record', doi: '10.1/x' }]))
  const imported = await app.inject({ method: 'POST', url: `${base}/imports`, headers: { ...alice.auth, ...body.headers }, payload: body.payload })
  await taskFinished(app, alice.auth, imported.json().id)
  const [article] = (await app.inject({ url: `${base}/articles`, headers: alice.auth })).json().items
  await app.inject({ method: 'POST', url: `${base}/articles/${article.id}/decisions`, headers: bob.auth, payload: { decision: 'include' } })
  await app.inject({ method: 'POST', url: `${base}/articles/${article.id}/decisions`, headers: carol.auth, payload: { decision: 'exclude' } })

  const view = async (who: { auth: { authorization: string } }, etag?: string) =>
    app.inject({ url: `${base}/articles?decision=include`, headers: { ...who.auth, ...(etag ? { 'if-none-match': etag } : {}) } })
  const bobs = await view(bob)
  t.equal(bobs.json().total, 1, 'bob sees his include')
  const carols = await view(carol)
  t.equal(carols.json().total, 0, 'carol, same query at the same version, does not get bob\'s cached page')
  t.not(carols.headers.etag, bobs.headers.etag, 'nor his ETag')
  const replayed = await view(carol, String(bobs.headers.etag))
  t.equal(replayed.statusCode, 200, 'bob\'s ETag is no 304 for carol')
  t.equal(replayed.json().total, 0)
  t.equal((await view(bob, String(bobs.headers.etag))).statusCode, 304, 'but is for bob')
  const owners = await view(alice)
  t.equal(owners.json().total, 0, 'the owner sees the latest decision of anyone (carol\'s exclude)')
  t.equal((await app.inject({ url: `${base}/articles?decision=exclude`, headers: alice.auth })).json().total, 1)

  // A resolution (owners only) settles the conflict: a decision like any other, so every view changes.
  const resolved = await app.inject({ method: 'POST', url: `${base}/articles/${article.id}/resolution`, headers: alice.auth, payload: { decision: 'include' } })
  t.equal(resolved.statusCode, 201, resolved.body)
  t.equal((await view(bob, String(bobs.headers.etag))).statusCode, 200, 'bob\'s page is not the same version any more')
  t.equal((await view(alice)).json().total, 1, 'the owner sees the resolution')
})
