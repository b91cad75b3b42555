import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { build, fileUpload, needsServices, taskFinished } from '../helper.ts'
import { createUser, issueToken } from '../../src/auth/users.ts'
import { Random, trickyNote, trickyText } from '../support/random.ts'

type Auth = { authorization: string }
interface DecisionView {
  articleId: string; stage: string; decision: string; reason: string | null; note: string | null; tags: string[]; source: string
  reviewerId: string | null; reviewerEmail: string | null; reviewerName: string | null; reviewerKind: string | null; createdAt: string
  origin: { file?: string; source?: string; reviewer?: { email?: string; name?: string; kind?: string }; at?: string } | null
}

const DATABASES = ['Scopus', 'PubMed', 'Web of Science', 'Embase; Ovid', '=cmd|" /C calc"!A0', 'Zotero “library”']
const FORMATS = ['ris', 'bibtex', 'csv', 'xlsx', 'csl-json']

async function upload(app: FastifyInstance, auth: Auth, projectId: string, name: string, content: string | Buffer, fields: Record<string, string> = {}) {
  const body = fileUpload(name, content, fields)
  const res = await app.inject({ method: 'POST', url: `/api/projects/${projectId}/imports`, headers: { ...auth, ...body.headers }, payload: body.payload })
  if (res.statusCode !== 202 && res.statusCode !== 201) throw new Error(`upload ${name}: ${res.statusCode} ${res.body}`)
  const task = await taskFinished(app, auth, res.json().id, 120000)
  if (task.status !== 'succeeded') throw new Error(`import ${name}: ${JSON.stringify(task.error ?? task)}`)
}

async function articlesByDoi(app: FastifyInstance, auth: Auth, projectId: string) {
  const list = (await app.inject({ url: `/api/projects/${projectId}/articles?pageSize=500`, headers: auth })).json()
  return new Map<string, { id: string; title: string; sourceDatabase: string | null }>(list.items.map((a: { doi: string }) => [a.doi, a]))
}

async function decisionsOf(app: FastifyInstance, auth: Auth, projectId: string): Promise<DecisionView[]> {
  return (await app.inject({ url: `/api/projects/${projectId}/decisions?limit=1000`, headers: auth })).json()
}

/** Each reviewer's (each source's) latest decision per article and stage, as comparable strings keyed by DOI. */
function current(decisions: DecisionView[], doiOf: Map<string, string>, imported: boolean): string[] {
  const latest = new Map<string, DecisionView>()
  for (const d of [...decisions].reverse()) {
    latest.set(JSON.stringify([d.articleId, d.stage, d.source, d.reviewerId, d.origin?.reviewer ?? null, d.origin?.source ?? null]), d)
  }
  return [...latest.values()].map((d) => JSON.stringify({
    doi: doiOf.get(d.articleId), stage: d.stage, decision: d.decision, reason: d.reason, note: d.note, tags: [...d.tags].sort(),
    source: imported ? d.origin?.source : d.source,
    reviewer: imported ? d.origin?.reviewer ?? null : d.reviewerEmail ? { email: d.reviewerEmail, ...(d.reviewerName ? { name: d.reviewerName } : {}), ...(d.reviewerKind ? { kind: d.reviewerKind } : {}) } : null
  })).sort()
}

t.test('random projects exported in every format and imported into new projects come back with the same records, decisions and reviewers', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const people = await Promise.all(['Owner Ø', '=Reviewer One', 'Reviewer "Two"'].map(async (name, k) => {
    const user = await createUser(app.db, { email: `p${k}.${Date.now()}@example.org`, name })
    const { token } = await issueToken(app.db, user.id)
    return { user, auth: { authorization: `Bearer ${token}` } }
  }))
  const [owner] = people

  for (const seed of [11, 12]) {
    const random = new Random(seed)
    const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: owner.auth, payload: { name: `Source ${seed}` } })).json()
    const base = `/api/projects/${project.id}`
    for (const person of people.slice(1)) {
      const res = await app.inject({ method: 'PUT', url: `${base}/members`, headers: owner.auth, payload: { email: person.user.email, role: 'reviewer' } })
      t.ok(res.statusCode < 300, 'member added')
    }
    // Records in three files from different databases; some carry a plain label, imported as a decision of source "import".
    for (let file = 0; file < 3; file++) {
      const items = Array.from({ length: 8 }, (_, k) => ({
        id: `r${k}`, type: 'article-journal', title: `${trickyText(random)} ${seed}.${file}.${k}`, DOI: `10.5555/api.${seed}.${file}.${k}`,
        author: [{ family: random.pick(['Müller', 'O\'Brien', 'Zhang']), given: 'A.' }], issued: { 'date-parts': [[random.int(1990, 2026)]] },
        ...(random.chance(0.2) ? { note: `AnalyLit decision: ${random.pick(['include', 'exclude'])}` } : {})
      }))
      await upload(app, owner.auth, project.id, `seed-${file}.json`, JSON.stringify(items), { sourceDatabase: random.pick(DATABASES) })
    }
    const source = await articlesByDoi(app, owner.auth, project.id)
    t.equal(source.size, 24)

    for (const article of source.values()) {
      for (const stage of ['title_abstract', 'full_text']) {
        if (stage === 'full_text' && random.chance(0.5)) continue
        // Full texts are screened only for records included (or maybe) at title/abstract: others are refused.
        let refused = false
        for (const person of people) {
          for (let n = random.int(0, 2); n > 0 && !refused; n--) {
            const decision = random.pick(['include', 'exclude', 'maybe'])
            const payload = {
              decision, stage,
              ...(decision === 'exclude' && random.chance(0.8) ? { reason: trickyText(random) } : {}),
              ...(random.chance(0.5) ? { note: trickyNote(random) } : {}),
              ...(random.chance(0.4) ? { tags: Array.from({ length: random.int(1, 3) }, () => trickyText(random, 2)) } : {})
            }
            const res = await app.inject({ method: 'POST', url: `${base}/articles/${article.id}/decisions`, headers: person.auth, payload })
            refused = stage === 'full_text' && res.statusCode === 409 && /not included at the title\/abstract stage/.test(res.body)
            if (!refused) t.equal(res.statusCode, 201, res.body)
          }
        }
        if (!refused && random.chance(0.3)) {
          const res = await app.inject({ method: 'POST', url: `${base}/articles/${article.id}/resolution`, headers: owner.auth, payload: { decision: 'include', stage, note: trickyNote(random) } })
          t.ok([201, 409].includes(res.statusCode), res.body)
        }
      }
    }
    const doiOfSource = new Map([...source].map(([doi, a]) => [a.id, doi]))
    const expected = current(await decisionsOf(app, owner.auth, project.id), doiOfSource, false)
    t.ok(expected.some((d) => d.includes('"full_text"')) && expected.some((d) => d.includes('"resolution"')) && expected.some((d) => d.includes('"import"')),
      'the project has full-text decisions, resolutions and imported labels')

    for (const format of FORMATS) {
      const out = await app.inject({ url: `${base}/export?format=${format}`, headers: owner.auth })
      t.equal(out.statusCode, 200)
      const copy = (await app.inject({ method: 'POST', url: '/api/projects', headers: owner.auth, payload: { name: `Copy ${seed} ${format}` } })).json()
      await upload(app, owner.auth, copy.id, `export.${format === 'bibtex' ? 'bib' : format === 'csl-json' ? 'json' : format}`, out.rawPayload)
      const back = await articlesByDoi(app, owner.auth, copy.id)
      t.equal(back.size, source.size, `${seed} ${format}: every record`)
      for (const [doi, article] of source) {
        t.equal(back.get(doi)?.title, article.title, `${seed} ${format}: title of ${doi}`)
        t.equal(back.get(doi)?.sourceDatabase, article.sourceDatabase, `${seed} ${format}: source database of ${doi}`)
      }
      const doiOfBack = new Map([...back].map(([doi, a]) => [a.id, doi]))
      const imported = await decisionsOf(app, owner.auth, copy.id)
      t.ok(imported.every((d) => d.source === 'import' && d.reviewerId === null), `${seed} ${format}: imported decisions are labels, not reviewers' decisions`)
      t.same(current(imported, doiOfBack, true), expected, `${seed} ${format}: the same decisions with stage, reason, note, tags, reviewer and source`)
    }
  }
})
