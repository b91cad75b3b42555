import t from 'tap'
import path from 'node:path'
import { readdir, readFile } from 'node:fs/promises'
import WebSocket from 'ws'
import http from 'node:http'
import { eq } from 'drizzle-orm'
import { articles, decisions, files, sourceBatches, tasks } from '../../src/db/schema.ts'
import { build, DATASETS, needsServices, userWithToken, waitFor, multipart, taskFinished } from '../helper.ts'

t.test('imports: bad input, CSL-JSON, labels, cancellation and project deletion', { skip: needsServices }, async (t) => {
  const app = await build(t, { UPLOAD_MAX_BYTES: '200000', ALLOW_PRIVATE_DOWNLOADS: 'true' })
  const alice = await userWithToken(app)
  const viewer = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Imports' } })).json()
  await app.inject({ method: 'PUT', url: `/api/projects/${project.id}/members`, headers: alice.auth, payload: { email: viewer.user.email, role: 'viewer' } })
  const importUrl = `/api/projects/${project.id}/imports`
  const upload = (parts: Parameters<typeof multipart>[0], auth = alice.auth) => {
    const body = multipart(parts)
    return app.inject({ method: 'POST', url: importUrl, headers: { ...auth, ...body.headers }, payload: body.payload })
  }
  const finished = (id: string) => taskFinished(app, alice.auth, id)

  t.test('what is not a usable bibliography upload is refused with a clear 4xx and nothing is stored', async (t) => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000a49444154789c6360000000020001e221bc330000000049454e44ae426082', 'hex')
    const cases: Array<[string, Promise<{ statusCode: number; json(): { message: string; field?: string } }>, number, RegExp]> = [
      ['JSON body', app.inject({ method: 'POST', url: importUrl, headers: alice.auth, payload: { file: 'x' } }), 415, /multipart/],
      ['no file part', upload([{ name: 'sourceDatabase', value: 'PubMed' }]), 400, /file/],
      ['a PNG image', upload([{ name: 'file', value: png, fileName: 'figure.png' }]), 422, /bibliography/],
      ['plain prose', upload([{ name: 'file', value: 'Dear colleague,\nplease find attached my thesis.\n', fileName: 'letter.txt' }]), 422, /bibliography/],
      ['an empty file', upload([{ name: 'file', value: '', fileName: 'empty.ris' }]), 422, /empty/],
      ['an unknown format name', upload([{ name: 'format', value: 'docx' }, { name: 'file', value: 'TY  - JOUR\nER  - \n', fileName: 'a.ris' }]), 400, /format/],
      ['over the size limit', upload([{ name: 'file', value: Buffer.alloc(300000, 'a'), fileName: 'big.ris' }]), 413, /limit/],
      ['a viewer', upload([{ name: 'file', value: 'TY  - JOUR\nTI  - x\nER  - \n', fileName: 'a.ris' }], viewer.auth), 403, /reviewer/]
    ]
    for (const [label, response, status, message] of cases) {
      const res = await response
      t.equal(res.statusCode, status, label)
      t.match(res.json().message, message, label)
    }
    t.equal(await app.db.$count(files), 0, 'no file row')
    t.equal(await app.db.$count(tasks), 0, 'no task')
    const uploads = path.join(app.storageDir, 'projects', project.id, 'uploads')
    t.same(await readdir(uploads).catch(() => []), [], 'no file left in storage')
  })

  t.test('CSL-JSON imports as a task with per-batch counts', async (t) => {
    const csl = await readFile(path.join(DATASETS, 'exports/analylit-20atn.csl.json'))
    const res = await upload([{ name: 'sourceDatabase', value: 'Zotero' }, { name: 'file', value: csl, fileName: 'analylit-20atn.csl.json' }])
    t.equal(res.statusCode, 202, res.body)
    const task = await finished(res.json().id)
    t.equal(task.status, 'succeeded', task.error ?? '')
    t.equal(task.result.format, 'csl-json')
    t.equal(task.result.imported, 20)
    const sources = (await app.inject({ url: `/api/projects/${project.id}/sources`, headers: alice.auth })).json()
    t.match(sources.find((s: { id: string }) => s.id === task.result.batchId),
      { kind: 'file', fileName: 'analylit-20atn.csl.json', format: 'csl-json', encoding: 'utf-8', sourceDatabase: 'Zotero', recordsImported: 20, recordErrors: 0 })
  })

  t.test('labels carried by the file come in as prior decisions; malformed records are reported, the rest imported', async (t) => {
    const ris = await readFile(path.join(DATASETS, 'exports/baseline_tag-notes_labels.ris'))
    const res = await upload([{ name: 'file', value: ris, fileName: 'labels.ris' }])
    const task = await finished(res.json().id)
    t.equal(task.status, 'succeeded', task.error ?? '')
    t.ok(task.result.labelsImported > 0, `${task.result.labelsImported} labels imported`)
    const imported = await app.db.select().from(decisions).where(eq(decisions.source, 'import'))
    t.equal(imported.length, task.result.labelsImported)

    const broken = 'TY  - JOUR\nTI  - First good record\nER  - \nthis line is garbage between records\nTY  - JOUR\nTI  - Second good record\nER  - \n'
    const res2 = await upload([{ name: 'file', value: broken, fileName: 'broken.ris' }])
    const task2 = await finished(res2.json().id)
    t.equal(task2.status, 'succeeded')
    t.equal(task2.result.imported, 2)
    t.ok(task2.result.errorCount >= 1, 'the malformed part is reported')
    t.ok(task2.result.errors[0].position.line >= 1, 'with its line')
  })

  t.test('import from a URL; an unreachable or non-bibliographic URL is refused', async (t) => {
    const ris = await readFile(path.join(DATASETS, 'exports/pubmed_zotero.ris'))
    const server = http.createServer((req, res) => {
      if (req.url === '/export.ris') return res.end(ris)
      if (req.url === '/moved') { res.writeHead(302, { location: '/export.ris' }); return res.end() }
      if (req.url === '/page.html') return res.end('<html><body>Search results</body></html>')
      res.writeHead(404).end()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    t.teardown(() => server.close())
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`
    const res = await app.inject({ method: 'POST', url: `${importUrl}/url`, headers: alice.auth, payload: { url: `${base}/moved`, sourceDatabase: 'PubMed' } })
    t.equal(res.statusCode, 202, res.body)
    const task = await finished(res.json().id)
    t.equal(task.status, 'succeeded', task.error ?? '')
    t.equal(task.result.imported, (ris.toString().match(/^ER\s+-/gm) ?? []).length)
    const [taskRow] = await app.db.select().from(tasks).where(eq(tasks.id, task.id))
    const [file] = await app.db.select().from(files).where(eq(files.id, (taskRow.payload as { fileId: string }).fileId))
    t.match(file, { origin: 'url', originUrl: `${base}/export.ris` }, 'where the file came from is recorded')

    for (const [url, status, message] of [
      [`${base}/page.html`, 422, /^"page\.html" is not in a recognised bibliography format\. Expected .*RIS \(\.ris/s],
      [`${base}/missing.ris`, 422, new RegExp(`^could not download ${base}/missing\\.ris: HTTP 404`)],
      ['ftp://example.org/x.ris', 400, /^body\.url must match pattern "\^https\?:\/\/"$/]
    ] as const) {
      const bad = await app.inject({ method: 'POST', url: `${importUrl}/url`, headers: alice.auth, payload: { url } })
      t.equal(bad.statusCode, status, url)
      t.match(bad.json().message, message, 'the message names the problem')
      t.equal(bad.json().field, 'url', 'and the request field it came from')
    }
  })

  t.test('a cancelled import leaves nothing behind', async (t) => {
    const before = await app.db.$count(articles, eq(articles.projectId, project.id))
    const lines: string[] = []
    for (let i = 0; i < 1500; i++) lines.push('TY  - JOUR', `TI  - Cancelled record ${i}`, 'ER  - ', '')
    const res = await upload([{ name: 'file', value: lines.join('\n'), fileName: 'to-cancel.ris' }])
    const id = res.json().id
    const cancel = await app.inject({ method: 'POST', url: `/api/tasks/${id}/cancel`, headers: alice.auth })
    const task = await finished(id)
    if (cancel.statusCode === 200) {
      t.equal(task.status, 'cancelled')
      t.equal(await app.db.$count(articles, eq(articles.projectId, project.id)), before, 'no partial batch')
    } else {
      t.equal(cancel.statusCode, 409, 'it had already finished')
    }
    const again = await app.inject({ method: 'POST', url: `/api/tasks/${id}/cancel`, headers: alice.auth })
    t.equal(again.statusCode, 409, 'a finished task cannot be cancelled')
    t.equal((await app.inject({ method: 'POST', url: `/api/tasks/${id}/cancel`, headers: viewer.auth })).statusCode, 403)
    t.equal((await app.inject({ url: '/api/tasks/not-a-uuid', headers: alice.auth })).statusCode, 400)
  })

  t.test('the WebSocket refuses connections without a valid token', async (t) => {
    await app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = app.server.address() as { port: number }
    for (const url of [`ws://127.0.0.1:${port}/api/ws`, `ws://127.0.0.1:${port}/api/ws?access_token=alt_wrong`]) {
      const status = await new Promise<number>((resolve) => {
        const socket = new WebSocket(url)
        socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
        socket.on('open', () => { socket.close(); resolve(101) })
        socket.on('error', () => resolve(-1))
      })
      t.equal(status, 401, url)
    }
    const socket = new WebSocket(`ws://127.0.0.1:${port}/api/ws`, { headers: viewer.auth })
    const messages: Array<{ type: string }> = []
    socket.on('message', (d) => messages.push(JSON.parse(String(d))))
    await new Promise((resolve) => socket.once('open', resolve))
    socket.send(JSON.stringify({ type: 'subscribe', projectId: '00000000-0000-4000-8000-000000000000' }))
    socket.send('not json')
    await waitFor(async () => messages.length >= 2)
    t.same(messages.map((m) => m.type), ['error', 'error'], 'unknown project and malformed message are answered with errors')
    socket.close()
  })

  t.test('deleting the project removes its articles, decisions, tasks, batches and files', async (t) => {
    t.ok(await app.db.$count(articles, eq(articles.projectId, project.id)) > 0)
    const del = await app.inject({ method: 'DELETE', url: `/api/projects/${project.id}`, headers: alice.auth })
    t.equal(del.statusCode, 204)
    for (const table of [articles, decisions, tasks, sourceBatches, files]) {
      t.equal(await app.db.$count(table, eq(table.projectId, project.id)), 0)
    }
    t.same(await readdir(path.join(app.storageDir, 'projects')), [], 'stored files removed')
  })
})

t.test('URL imports refuse loopback and private addresses by default', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const alice = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'SSRF' } })).json()
  for (const url of ['http://127.0.0.1:9/x.ris', 'http://169.254.169.254/latest/meta-data', 'http://10.0.0.1/x.ris', 'http://[::1]/x.ris']) {
    const res = await app.inject({ method: 'POST', url: `/api/projects/${project.id}/imports/url`, headers: alice.auth, payload: { url } })
    t.equal(res.statusCode, 400, url)
    t.match(res.json().message, /could not download/)
  }
  t.equal(await app.db.$count(files), 0)
})
