/**
 * `npm run api:generate`: boots the service (embedded PostgreSQL unless
 * DATABASE_URL is set, no HTTP listener), takes its OpenAPI document and
 * writes the web client's types (scripts/api-types.ts).
 */
import fs from 'node:fs/promises'
import { loadConfig } from '../src/config.ts'
import { buildServer } from '../src/server.ts'
import { API_TYPES_FILE, renderApiTypes } from './api-types.ts'

const app = buildServer(loadConfig({ ...process.env, LOG_LEVEL: 'warn' }))
try {
  await app.ready()
  await fs.writeFile(API_TYPES_FILE, await renderApiTypes(app.swagger()))
  console.log(`wrote ${API_TYPES_FILE}`)
} finally {
  await app.close()
}
