import t from 'tap'
import { build, needsServices, userWithToken } from '../helper.ts'

t.test('highlighted keywords are stored in the project\'s screening settings', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const owner = await userWithToken(app)
  const reviewer = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: owner.auth, payload: { name: 'Keywords' } })).json()
  await app.inject({ method: 'PUT', url: `/api/projects/${project.id}/members`, headers: owner.auth, payload: { email: reviewer.user.email, role: 'reviewer' } })
  const url = `/api/projects/${project.id}/screening-settings`

  const initial = (await app.inject({ url, headers: reviewer.auth })).json()
  t.same([initial.highlightInclude, initial.highlightExclude], [[], []], 'none by default')

  const patched = await app.inject({ method: 'PATCH', url, headers: owner.auth, payload: { highlightInclude: [' trial ', 'randomised', 'trial'], highlightExclude: ['rat'] } })
  t.equal(patched.statusCode, 200, patched.body)
  t.same(patched.json().highlightInclude, ['trial', 'randomised'], 'trimmed and distinct')
  const read = (await app.inject({ url, headers: reviewer.auth })).json()
  t.same([read.highlightInclude, read.highlightExclude], [['trial', 'randomised'], ['rat']], 'every member reads them')
  t.equal(read.blind, false, 'other settings untouched')

  const other = await app.inject({ method: 'PATCH', url, headers: owner.auth, payload: { blind: true } })
  t.same(other.json().highlightExclude, ['rat'], 'a patch of another setting keeps the keywords')
  const denied = await app.inject({ method: 'PATCH', url, headers: reviewer.auth, payload: { highlightInclude: ['x'] } })
  t.equal(denied.statusCode, 403, 'only owners change them')
  const empty = await app.inject({ method: 'PATCH', url, headers: owner.auth, payload: { highlightInclude: [''] } })
  t.equal(empty.statusCode, 400, 'an empty keyword is refused')
})
