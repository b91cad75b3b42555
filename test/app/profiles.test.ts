import t from 'tap'
import { readFileSync } from 'node:fs'
import { seedDatabase } from '../../src/db/seed.ts'
import { build, needsServices, userWithToken } from '../helper.ts'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

const seededProfiles = JSON.parse(readFileSync(new URL('../../src/db/seed-data/analysis-profiles.json', import.meta.url), 'utf8')) as Array<{ id: string }>

t.test('analysis profiles: everyone reads, administrators write, defaults stay', { skip: needsServices }, async (t) => {
  const app = await build(t)
  await seedDatabase(app.db, { adminEmail: 'admin@example.org' })
  const admin = await userWithToken(app, undefined, true)
  const alice = await userWithToken(app)

  const list = (await app.inject({ url: '/api/profiles', headers: alice.auth })).json()
  t.equal(list.length, seededProfiles.length)
  t.ok(list.every((p: Json) => p.isCustom === false))
  const standard = (await app.inject({ url: '/api/profiles/standard-local', headers: alice.auth })).json()
  t.match(standard, { id: 'standard-local', preprocessModel: 'phi3:mini', screeningModel: 'phi3:mini', isCustom: false })

  const body = { name: 'Équipe GPU', description: 'our server', preprocessModel: 'llama3:8b', extractModel: 'llama3:8b', synthesisModel: 'llama3:70b' }
  t.equal((await app.inject({ method: 'POST', url: '/api/profiles', headers: alice.auth, payload: body })).statusCode, 403)
  const created = await app.inject({ method: 'POST', url: '/api/profiles', headers: admin.auth, payload: body })
  t.equal(created.statusCode, 201, created.body)
  t.match(created.json(), { id: 'equipe-gpu', name: 'Équipe GPU', isCustom: true, screeningModel: 'llama3:8b' })
  t.equal((await app.inject({ method: 'POST', url: '/api/profiles', headers: admin.auth, payload: body })).statusCode, 409, 'same id')
  const explicit = await app.inject({ method: 'POST', url: '/api/profiles', headers: admin.auth, payload: { ...body, id: 'gpu-2' } })
  t.equal(explicit.json().id, 'gpu-2')

  const patched = await app.inject({ method: 'PATCH', url: '/api/profiles/equipe-gpu', headers: admin.auth, payload: { preprocessModel: 'qwen2.5:7b' } })
  t.equal(patched.statusCode, 200)
  t.equal(patched.json().screeningModel, 'qwen2.5:7b')
  t.equal((await app.inject({ method: 'PATCH', url: '/api/profiles/standard-local', headers: admin.auth, payload: { preprocessModel: 'llama3:8b' } })).json().preprocessModel, 'llama3:8b', 'a default can point at another model')
  t.equal((await app.inject({ method: 'PATCH', url: '/api/profiles/equipe-gpu', headers: alice.auth, payload: { name: 'x' } })).statusCode, 403)
  t.equal((await app.inject({ method: 'PATCH', url: '/api/profiles/nope', headers: admin.auth, payload: { name: 'x' } })).statusCode, 404)

  const deleteDefault = await app.inject({ method: 'DELETE', url: '/api/profiles/standard-local', headers: admin.auth })
  t.equal(deleteDefault.statusCode, 409)
  t.match(deleteDefault.json().message, /default profile/)
  t.equal((await app.inject({ method: 'DELETE', url: '/api/profiles/equipe-gpu', headers: alice.auth })).statusCode, 403)
  t.equal((await app.inject({ method: 'DELETE', url: '/api/profiles/equipe-gpu', headers: admin.auth })).statusCode, 204)
  t.equal((await app.inject({ method: 'DELETE', url: '/api/profiles/equipe-gpu', headers: admin.auth })).statusCode, 404)
  t.equal((await app.inject({ url: '/api/profiles/equipe-gpu', headers: admin.auth })).statusCode, 404)
  await seedDatabase(app.db, { adminEmail: 'admin@example.org' })
  t.equal((await app.inject({ url: '/api/profiles', headers: alice.auth })).json().length, seededProfiles.length + 1, 'seeding again changes nothing')

  for (const [payload, field] of [
    [{ ...body, preprocessModel: 'bad model' }, /preprocessModel/], [{ name: 'x' }, /Model/], [{ ...body, id: 'Bad Id' }, /id/],
    [{ ...body, colour: 1 }, /colour/], [{ ...body, name: '' }, /name/], [{ ...body, name: '!!!' }, /id/]
  ] as const) {
    const res = await app.inject({ method: 'POST', url: '/api/profiles', headers: admin.auth, payload })
    t.equal(res.statusCode, 400, JSON.stringify(payload))
    t.match(res.json().message, field)
  }
  t.equal((await app.inject({ method: 'PATCH', url: '/api/profiles/gpu-2', headers: admin.auth, payload: {} })).statusCode, 400)
  t.equal((await app.inject({ url: '/api/profiles' })).statusCode, 401)
})

t.test('prompt templates: placeholders checked, defaults protected', { skip: needsServices }, async (t) => {
  const app = await build(t)
  await seedDatabase(app.db, { adminEmail: 'admin@example.org' })
  const admin = await userWithToken(app, undefined, true)
  const alice = await userWithToken(app)

  const all = (await app.inject({ url: '/api/prompts', headers: alice.auth })).json()
  t.same(all.map((p: Json) => [p.key, p.kind, p.isDefault]), [['extraction-default', 'extraction', true], ['screening-default', 'screening', true]])
  t.same(all.find((p: Json) => p.kind === 'screening').placeholders, ['question', 'criteria', 'title', 'abstract'])
  const screeningDefault = all.find((p: Json) => p.kind === 'screening')

  const payload = { kind: 'screening', name: 'Short', template: 'Question: {{question}}\nCriteria: {{criteria}}\n{{title}}\n{{abstract}}' }
  t.equal((await app.inject({ method: 'POST', url: '/api/prompts', headers: alice.auth, payload })).statusCode, 403)
  const created = await app.inject({ method: 'POST', url: '/api/prompts', headers: admin.auth, payload })
  t.equal(created.statusCode, 201, created.body)
  t.match(created.json(), { kind: 'screening', name: 'Short', isDefault: false, key: null })
  const id = created.json().id
  t.same((await app.inject({ url: '/api/prompts?kind=screening', headers: alice.auth })).json().map((p: Json) => p.name), [screeningDefault.name, 'Short'])
  t.equal((await app.inject({ url: `/api/prompts/${id}`, headers: alice.auth })).json().template, payload.template)

  for (const [body, pattern] of [
    [{ ...payload, template: 'About {{population}}: {{title}}' }, /unknown placeholder.*\{\{population\}\}/],
    [{ ...payload, template: 'Only {{question}}' }, /must use \{\{title\}\} or \{\{abstract\}\}/],
    [{ kind: 'extraction', name: 'x', template: 'From {{title}}' }, /\{\{fields\}\}/],
    [{ ...payload, kind: 'summary' }, /kind/], [{ ...payload, template: '' }, /template/], [{ ...payload, extra: 1 }, /extra/]
  ] as const) {
    const res = await app.inject({ method: 'POST', url: '/api/prompts', headers: admin.auth, payload: body })
    t.equal(res.statusCode, 400, JSON.stringify(body))
    t.match(res.json().message, pattern)
  }
  const invalidField = await app.inject({ method: 'POST', url: '/api/prompts', headers: admin.auth, payload: { ...payload, template: '{{nope}} {{title}}' } })
  t.equal(invalidField.json().field, 'template')

  const renamed = await app.inject({ method: 'PATCH', url: `/api/prompts/${id}`, headers: admin.auth, payload: { name: 'Shorter', template: '{{title}}: {{abstract}}' } })
  t.equal(renamed.statusCode, 200)
  t.same(renamed.json().placeholders, ['title', 'abstract'])
  t.equal((await app.inject({ method: 'PATCH', url: `/api/prompts/${id}`, headers: admin.auth, payload: { template: '{{fields}}' } })).statusCode, 400)
  t.equal((await app.inject({ method: 'PATCH', url: `/api/prompts/${screeningDefault.id}`, headers: admin.auth, payload: { name: 'Mine' } })).statusCode, 409)
  t.equal((await app.inject({ method: 'DELETE', url: `/api/prompts/${screeningDefault.id}`, headers: admin.auth })).statusCode, 409, 'seeded defaults cannot be deleted')
  t.equal((await app.inject({ method: 'DELETE', url: `/api/prompts/${id}`, headers: alice.auth })).statusCode, 403)
  t.equal((await app.inject({ method: 'DELETE', url: `/api/prompts/${id}`, headers: admin.auth })).statusCode, 204)
  t.equal((await app.inject({ url: `/api/prompts/${id}`, headers: admin.auth })).statusCode, 404)
  t.equal((await app.inject({ url: '/api/prompts/not-a-uuid', headers: admin.auth })).statusCode, 400)
  t.equal((await app.inject({ url: '/api/prompts?kind=poem', headers: admin.auth })).statusCode, 400)
  t.equal((await app.inject({ url: '/api/prompts', headers: alice.auth })).json().length, 2)
})
