/**
 * LLM-assisted risk of bias, without the model or the database: for each
 * domain of a tool, the passages of the full text relevant to it, the prompt,
 * the JSON Schema of the answer (each signalling question answered with one
 * of the tool's answers, a verbatim quote and its page) and the reading of the
 * answer. The model is never asked for a judgement: the tool's algorithm
 * derives it from the answers (RoB 2, QUADAS-2). For tools whose domains the
 * reviewer judges (RoB 1, ROBINS-I, QUADAS-2's applicability concerns) the
 * model only reports what the text says about the domain, with a quote, and the
 * judgement is left to a person.
 */
import { findQuote, selectPassages, type TextPage } from '../llm/passages.ts'
import { applies, checkAssessment } from './index.ts'
import type { Answer, Tool, ToolDomain } from './tools.ts'

/** Bumped whenever the prompt or the schema below changes: recorded with every run. */
export const ROB_PROMPT_VERSION = 'rob-llm-v1'

const ANSWER_WORDS: Record<string, string> = { Y: 'yes', PY: 'probably yes', PN: 'probably no', N: 'no', NI: 'no information', NA: 'not applicable' }
const word = (tool: Tool, a: string) => tool.answerLabels?.[a] ?? ANSWER_WORDS[a] ?? a

/** Conditional questions may also be answered NA (the condition does not hold); it is recomputed from the answers anyway. */
const allowed = (q: ToolDomain['questions'][number]) => [...q.options, ...(q.appliesIf ? ['NA'] : [])]

/** What the passages of a domain are chosen by: its name and its questions. */
export const domainQuery = (domain: ToolDomain) => [domain.name, ...domain.questions.map((q) => q.text)].join(' ')

export function domainPassages(pages: TextPage[], domain: ToolDomain, budget = 6000): TextPage[] {
  return selectPassages(pages, domainQuery(domain), budget)
}

const QUOTE = { type: 'string', description: 'verbatim passage copied from the text that supports the answer ("" when the text says nothing)' }

/** JSON Schema of the model's answer for one domain (Ollama's `format`). */
export function domainJsonSchema(domain: ToolDomain): Record<string, unknown> {
  if (!domain.questions.length) {
    return {
      type: 'object',
      properties: { reported: { type: 'string', description: 'what the text reports that bears on this domain' }, quote: QUOTE, page: { type: 'integer' } },
      required: ['reported', 'quote', 'page']
    }
  }
  return {
    type: 'object',
    properties: Object.fromEntries(domain.questions.map((q) => [q.id, {
      type: 'object',
      description: q.text,
      properties: { answer: { enum: allowed(q) }, quote: QUOTE, page: { type: 'integer' }, reason: { type: 'string' } },
      required: ['answer', 'quote', 'page']
    }])),
    required: domain.questions.map((q) => q.id)
  }
}

export function domainPrompt(tool: Tool, domain: ToolDomain, passages: TextPage[], outcome = ''): { system: string; prompt: string } {
  const answers = [...new Set(domain.questions.flatMap(allowed))].map((a) => `${a} (${word(tool, a)})`).join(', ')
  const system = domain.questions.length
    ? `You assess a study with ${tool.name}. Answer each signalling question of the domain from the passages of the article only, with one of: ${answers}. ` +
    'For every answer copy, word for word, the sentence of the passages that supports it and give its page; when the article says nothing, answer NI with an empty quote. ' +
    'Do not judge the risk of bias: the judgement is derived from your answers. Answer in JSON.'
    : `You help assess a study with ${tool.name}. Report what the passages of the article say about the domain, copying word for word the most relevant sentence and its page. ` +
      'Do not give a risk-of-bias judgement: a reviewer judges the domain. Answer in JSON.'
  const lines = [
    `Domain ${domain.id}: ${domain.name}`,
    ...(outcome ? [`Result assessed: ${outcome}`] : []),
    ...domain.questions.map((q) => `${q.id} ${q.text}${q.appliesIfText ? ` (${q.appliesIfText}; otherwise NA)` : ''} — answers: ${allowed(q).join('/')}`),
    '',
    'Passages of the article:',
    ...passages.map((p) => `[page ${p.page}] ${p.text}`)
  ]
  return { system, prompt: lines.join('\n') }
}

export interface SupportEntry { text?: string; quote?: string; page?: number; quoteVerified?: boolean }
export interface DomainReading { answers: Record<string, string>; support: Record<string, SupportEntry>; problems: string[] }

/** The quote looked up in the whole text: its page when found, flagged when not. */
function verified(quote: unknown, pages: TextPage[]): Pick<SupportEntry, 'quote' | 'page' | 'quoteVerified'> {
  const text = typeof quote === 'string' ? quote.trim() : ''
  if (!text) return {}
  const page = findQuote(text, pages)
  return page === null ? { quote: text, quoteVerified: false } : { quote: text, page, quoteVerified: true }
}

/**
 * The model's answer for one domain: answers that are one of the question's
 * allowed values (anything else is left unanswered and reported), quotes
 * verified against the whole text; any other property (a verdict the model
 * volunteered) is ignored.
 */
export function readDomainAnswer(domain: ToolDomain, raw: string, pages: TextPage[]): DomainReading {
  const out: DomainReading = { answers: {}, support: {}, problems: [] }
  let parsed: unknown
  try { parsed = JSON.parse(raw) } catch { parsed = undefined }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    out.problems.push(`${domain.id}: the model's answer is not a JSON object`)
    return out
  }
  const answer = parsed as Record<string, unknown>
  if (!domain.questions.length) {
    const reported = typeof answer.reported === 'string' ? answer.reported.trim().slice(0, 10000) : ''
    const v = verified(answer.quote, pages)
    if (reported || v.quote) out.support[domain.id] = { ...(reported ? { text: reported } : {}), ...v }
    if (v.quoteVerified === false) out.problems.push(`${domain.id}: quote not found in the full text`)
    return out
  }
  for (const q of domain.questions) {
    const entry = answer[q.id]
    if (!entry || typeof entry !== 'object') continue // reported by assembleAssessment when the question applies
    const e = entry as Record<string, unknown>
    const value = typeof e.answer === 'string' ? e.answer.trim().toUpperCase() : ''
    if (!allowed(q).includes(value as Answer)) {
      out.problems.push(`${q.id}: "${String(e.answer).slice(0, 40)}" is not an answer of this question (one of ${allowed(q).join(', ')}); left unanswered`)
      continue
    }
    out.answers[q.id] = value
    const v = verified(e.quote, pages)
    const reason = typeof e.reason === 'string' ? e.reason.trim().slice(0, 10000) : ''
    if (reason || v.quote) out.support[q.id] = { ...(reason ? { text: reason } : {}), ...v }
    if (v.quoteVerified === false) out.problems.push(`${q.id}: quote not found in the full text`)
  }
  return out
}

/**
 * The answers of every domain as one assessment: questions that do not apply
 * given the earlier answers become NA (the model's answer to them is dropped);
 * complete when every applicable question has a valid answer and the tool
 * derives its judgements from them, else a draft left for a person.
 */
export function assembleAssessment(tool: Tool, readings: DomainReading[]): { status: 'draft' | 'complete'; answers: Record<string, string>; support: Record<string, SupportEntry>; problems: string[] } {
  const given: Record<string, string> = Object.assign({}, ...readings.map((r) => r.answers))
  const support: Record<string, SupportEntry> = Object.assign({}, ...readings.map((r) => r.support))
  const problems = readings.flatMap((r) => r.problems)
  const answers: Record<string, Answer> = {}
  for (const q of tool.domains.flatMap((d) => d.questions)) {
    if (!applies(q, answers)) {
      answers[q.id] = 'NA'
      delete support[q.id]
    } else if (given[q.id] !== undefined && given[q.id] !== 'NA') answers[q.id] = given[q.id] as Answer
    else if (given[q.id] === 'NA') problems.push(`${q.id}: answered NA but applies (${q.appliesIfText}); left unanswered`)
    else if (!problems.some((p) => p.startsWith(`${q.id}: `))) problems.push(`${q.id}: not answered`)
  }
  const complete = tool.mode === 'algorithm' && checkAssessment(tool, { answers }, { complete: true }).problems.length === 0
  return { status: complete ? 'complete' : 'draft', answers, support, problems }
}
