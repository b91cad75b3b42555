/**
 * Analysis profiles (which local models a run uses) and prompt templates.
 * Both are shared by the whole installation. The seeded defaults cannot be
 * deleted; default prompt templates cannot be edited either (copy one to
 * change it), whereas default profiles can be pointed at other models, since
 * which models exist depends on the installation.
 */
import { asc, eq } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { analysisProfiles, promptTemplates } from '../db/schema.ts'
import { Conflict, Invalid, NotFound } from '../errors.ts'
import { templatePlaceholders } from '../llm/screening-prompt.ts'

export type ProfileRow = typeof analysisProfiles.$inferSelect
export type PromptRow = typeof promptTemplates.$inferSelect

export function toProfileView(row: ProfileRow) {
  return {
    id: row.id, name: row.name, description: row.description, preprocessModel: row.preprocessModel, extractModel: row.extractModel,
    synthesisModel: row.synthesisModel,
    /** The model LLM screening runs use with this profile: its preprocessing (triage) model. */
    screeningModel: row.preprocessModel,
    isCustom: row.isCustom, createdAt: row.createdAt.toISOString()
  }
}

export function toPromptView(row: PromptRow) {
  return {
    id: row.id, key: row.key, kind: row.kind, name: row.name, template: row.template, isDefault: row.isDefault,
    placeholders: templatePlaceholders(row.template), createdAt: row.createdAt.toISOString()
  }
}

export async function listProfiles(db: Database) {
  return (await db.select().from(analysisProfiles).orderBy(asc(analysisProfiles.isCustom), asc(analysisProfiles.name))).map(toProfileView)
}

export async function getProfile(db: Database, id: string): Promise<ProfileRow | undefined> {
  const [row] = await db.select().from(analysisProfiles).where(eq(analysisProfiles.id, id))
  return row
}

export interface ProfileInput {
  id?: string
  name: string
  description?: string
  preprocessModel: string
  extractModel: string
  synthesisModel: string
}

function slug(text: string): string {
  return text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60)
}

export async function createProfile(db: Database, input: ProfileInput) {
  const id = input.id ?? slug(input.name)
  if (!id) throw new Invalid('give an id (letters, digits and dashes): the name has none to derive it from', 'id')
  const [row] = await db.insert(analysisProfiles).values({
    id, name: input.name.trim(), description: input.description ?? '', preprocessModel: input.preprocessModel,
    extractModel: input.extractModel, synthesisModel: input.synthesisModel, isCustom: true
  }).onConflictDoNothing().returning()
  if (!row) throw new Conflict(`a profile with id "${id}" already exists`, 'id')
  return toProfileView(row)
}

export async function updateProfile(db: Database, id: string, patch: Partial<Omit<ProfileInput, 'id'>>) {
  const [row] = await db.update(analysisProfiles).set({ ...patch, ...(patch.name ? { name: patch.name.trim() } : {}) })
    .where(eq(analysisProfiles.id, id)).returning()
  if (!row) throw new NotFound('profile not found')
  return toProfileView(row)
}

export async function deleteProfile(db: Database, id: string): Promise<void> {
  const row = await getProfile(db, id)
  if (!row) throw new NotFound('profile not found')
  if (!row.isCustom) throw new Conflict(`"${row.name}" is a default profile: it cannot be deleted`)
  await db.delete(analysisProfiles).where(eq(analysisProfiles.id, id))
}

export type PromptKind = 'screening' | 'extraction'

/** Placeholders each kind of template may use, and those it must use. */
export const PROMPT_PLACEHOLDERS: Record<PromptKind, { allowed: string[]; required: string[][] }> = {
  screening: { allowed: ['question', 'criteria', 'title', 'abstract'], required: [['title', 'abstract']] },
  extraction: { allowed: ['question', 'fields', 'title', 'abstract', 'text'], required: [['fields'], ['title', 'abstract', 'text']] }
}

/** A template may only use its kind's placeholders, and must show the model the record (and, for extraction, the fields). */
export function validateTemplate(kind: PromptKind, template: string): void {
  const used = templatePlaceholders(template)
  const rules = PROMPT_PLACEHOLDERS[kind]
  const unknown = used.filter((p) => !rules.allowed.includes(p))
  if (unknown.length > 0) {
    throw new Invalid(`unknown placeholder(s) ${unknown.map((p) => `{{${p}}}`).join(', ')}; a ${kind} template may use ${rules.allowed.map((p) => `{{${p}}}`).join(', ')}`, 'template')
  }
  for (const oneOf of rules.required) {
    if (!oneOf.some((p) => used.includes(p))) {
      throw new Invalid(`a ${kind} template must use ${oneOf.map((p) => `{{${p}}}`).join(' or ')}`, 'template')
    }
  }
}

export async function listPrompts(db: Database, kind?: PromptKind) {
  const query = db.select().from(promptTemplates)
  const rows = await (kind ? query.where(eq(promptTemplates.kind, kind)) : query).orderBy(asc(promptTemplates.kind), asc(promptTemplates.createdAt))
  return rows.map(toPromptView)
}

export async function getPrompt(db: Database, id: string): Promise<PromptRow | undefined> {
  const [row] = await db.select().from(promptTemplates).where(eq(promptTemplates.id, id))
  return row
}

/** The installation's default template of a kind (seeded with key `<kind>-default`). */
export async function defaultPrompt(db: Database, kind: PromptKind): Promise<PromptRow | undefined> {
  const [row] = await db.select().from(promptTemplates).where(eq(promptTemplates.key, `${kind}-default`))
  return row
}

export async function createPrompt(db: Database, input: { kind: PromptKind; name: string; template: string }) {
  validateTemplate(input.kind, input.template)
  const [row] = await db.insert(promptTemplates).values({ kind: input.kind, name: input.name.trim(), template: input.template, isDefault: false }).returning()
  return toPromptView(row)
}

export async function updatePrompt(db: Database, id: string, patch: { name?: string; template?: string }) {
  const row = await getPrompt(db, id)
  if (!row) throw new NotFound('prompt template not found')
  if (row.isDefault) throw new Conflict(`"${row.name}" is a default template: copy it to change it`)
  if (patch.template !== undefined) validateTemplate(row.kind as PromptKind, patch.template)
  const [updated] = await db.update(promptTemplates).set({ ...patch, ...(patch.name ? { name: patch.name.trim() } : {}) })
    .where(eq(promptTemplates.id, id)).returning()
  return toPromptView(updated)
}

export async function deletePrompt(db: Database, id: string): Promise<void> {
  const row = await getPrompt(db, id)
  if (!row) throw new NotFound('prompt template not found')
  if (row.isDefault) throw new Conflict(`"${row.name}" is a default template: it cannot be deleted`)
  await db.delete(promptTemplates).where(eq(promptTemplates.id, id))
}
