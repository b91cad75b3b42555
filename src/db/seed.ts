/**
 * Seed data: default analysis profiles, prompt templates, the ATN extraction
 * grid and the first administrator. Runs in one transaction under an
 * advisory lock, so running it twice or four times at once leaves the same
 * state.
 */
import { readFileSync } from 'node:fs'
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { eq, sql } from 'drizzle-orm'
import type { Database } from './index.ts'
import { analysisProfiles, apiTokens, gridTemplates, promptTemplates, users } from './schema.ts'
import { DEFAULT_PROMPT_TEMPLATES } from './seed-data/prompts.ts'
import { generateToken, hashToken } from '../auth/tokens.ts'

const SEED_LOCK_KEY = 7_246_311_846
const seedFile = (name: string) => JSON.parse(readFileSync(new URL(`./seed-data/${name}`, import.meta.url), 'utf8'))

interface ProfileSeed {
  id: string; name: string; description: string; preprocess_model: string; extract_model: string; synthesis_model: string
}

export interface SeedResult {
  profiles: number
  promptTemplates: number
  gridTemplates: number
  /** Set only when this run created the administrator: the clear token, shown once. */
  adminToken?: string
  adminEmail: string
}

export async function seedDatabase(db: Database, options: { adminEmail: string }): Promise<SeedResult> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${SEED_LOCK_KEY})`)
    const profiles = seedFile('analysis-profiles.json') as ProfileSeed[]
    for (const p of profiles) {
      await tx.insert(analysisProfiles).values({
        id: p.id, name: p.name.trim(), description: p.description, preprocessModel: p.preprocess_model,
        extractModel: p.extract_model, synthesisModel: p.synthesis_model, isCustom: false
      }).onConflictDoNothing()
    }
    for (const template of DEFAULT_PROMPT_TEMPLATES) {
      await tx.insert(promptTemplates).values({ ...template, isDefault: true }).onConflictDoNothing()
    }
    const grid = seedFile('atn-extraction-grid.json') as { name: string; fields: string[] }
    await tx.insert(gridTemplates).values({
      key: 'atn-standard', name: grid.name, isDefault: true,
      fields: grid.fields.map((name) => ({ name, type: 'text', description: '' }))
    }).onConflictDoNothing()

    let adminToken: string | undefined
    const email = options.adminEmail.toLowerCase()
    const [existing] = await tx.select({ id: users.id }).from(users).where(eq(users.email, email))
    if (!existing) {
      const [admin] = await tx.insert(users).values({ email, name: 'Administrator', isAdmin: true }).returning({ id: users.id })
      adminToken = generateToken()
      await tx.insert(apiTokens).values({ userId: admin.id, tokenHash: hashToken(adminToken), name: 'created by init-db' })
    }
    return { profiles: profiles.length, promptTemplates: DEFAULT_PROMPT_TEMPLATES.length, gridTemplates: 1, adminToken, adminEmail: email }
  })
}

/** Writes the administrator's token to a file only its owner can read. */
export async function writeTokenFile(file: string, token: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true })
  await writeFile(file, token + '\n', { mode: 0o600 })
  await chmod(file, 0o600)
}
