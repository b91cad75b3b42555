import fs from 'node:fs/promises'
import t from 'tap'
import { build, needsServices } from '../helper.ts'
import { API_TYPES_FILE, renderApiTypes } from '../../scripts/api-types.ts'

t.test('the web client\'s API types equal a fresh generation from the OpenAPI document', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const fresh = await renderApiTypes(app.swagger())
  const checkedIn = await fs.readFile(API_TYPES_FILE, 'utf8')
  t.ok(fresh.includes('"/api/projects/{projectId}/screening/next"'), 'the document describes the routes')
  t.equal(checkedIn, fresh, 'web/src/api/schema.d.ts is out of date: run `npm run api:generate` and commit it')
})
