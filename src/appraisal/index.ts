/**
 * Risk-of-bias assessments: validation against a tool, judgements derived
 * with the path that led to them, and the comparison of two reviewers.
 *
 * An assessment is `{ answers, judgements }`: for RoB 2 the signalling-question
 * answers (the judgements are derived), for ROBINS-I and RoB 1 the reviewer's
 * judgement of each domain. Each function is what one API route needs.
 */
import { Invalid } from '../errors.ts'
import { QUADAS2_ALGORITHMS } from './quadas2.ts'
import { ROB2_ALGORITHMS, type Derivation } from './rob2.ts'
import { ANSWERS, riskDomains, TOOLS, type Answer, type SignallingQuestion, type Tool } from './tools.ts'

export { TOOLS, ROB2, ROBINS_I, ROB1, QUADAS2, riskDomains, type Tool, type ToolId, type Answer } from './tools.ts'

/** The published algorithm of each domain of the tools that derive judgements from the signalling questions. */
export const ALGORITHMS: Record<string, Record<string, (answers: Record<string, Answer>) => Derivation>> = { rob2: ROB2_ALGORITHMS, 'quadas-2': QUADAS2_ALGORITHMS }

export interface AssessmentInput {
  /** Signalling-question answers by question id ("2.3"); questions that do not apply may be left out or answered NA. */
  answers?: Record<string, string>
  /** Domain judgements by domain id ("D1"), for tools whose domains the reviewer judges. */
  judgements?: Record<string, string>
  /**
   * Reviewer's judgements replacing those derived (RoB 2: the algorithm proposes, the reviewer may
   * override with a reason), by domain id or "overall".
   */
  overrides?: Record<string, { judgement: string, reason: string }>
}
export interface Problem { field: string, message: string }
export interface ValidAssessment { answers: Record<string, Answer>, judgements: Record<string, string>, overrides: Record<string, { judgement: string, reason: string }> }

export function getTool(id: string): Tool {
  const tool = (TOOLS as Record<string, Tool | undefined>)[id]
  if (!tool) throw new Invalid(`unknown risk-of-bias tool "${id}"; known tools: ${Object.keys(TOOLS).join(', ')}`, 'tool')
  return tool
}

export function applies(question: SignallingQuestion, answers: Record<string, Answer>): boolean {
  return (question.appliesIf ?? []).every((c) => c.anyOf.some((o) => o.answers.includes(answers[o.question] ?? 'NA')))
}

/**
 * Problems of an assessment (empty when valid). `complete`: every applicable
 * question (or every domain) must be answered; drafts pass `false`.
 */
export function checkAssessment(tool: Tool, input: AssessmentInput, { complete = true } = {}): { problems: Problem[], assessment: ValidAssessment } {
  const problems: Problem[] = []
  const given = input.answers ?? {}
  const answers: Record<string, Answer> = {}
  const questions = new Map(tool.domains.flatMap((d) => d.questions.map((q) => [q.id, q] as const)))
  for (const id of Object.keys(given)) {
    if (!questions.has(id)) problems.push({ field: `answers/${id}`, message: `${tool.id} has no signalling question "${id}"` })
  }
  for (const question of questions.values()) {
    const raw = given[question.id]
    const answer = raw === undefined || raw === null ? undefined : String(raw).toUpperCase()
    const field = `answers/${question.id}`
    if (answer !== undefined && !(ANSWERS as readonly string[]).includes(answer)) {
      problems.push({ field, message: `question ${question.id}: "${raw}" is not an answer (one of ${ANSWERS.join(', ')})` })
      continue
    }
    // Questions are in order, so the answers a rule looks at are already settled.
    if (!applies(question, answers)) {
      if (answer !== undefined && answer !== 'NA') {
        problems.push({ field, message: `question ${question.id} does not apply (${question.appliesIfText}); answer NA or leave it out` })
      }
      answers[question.id] = 'NA'
    } else if (answer === undefined) {
      if (complete) problems.push({ field, message: `question ${question.id} applies and is not answered` })
    } else if (!question.options.includes(answer as Answer)) {
      problems.push({ field, message: `question ${question.id} applies${question.appliesIfText ? ` (${question.appliesIfText})` : ''}: answer one of ${question.options.join(', ')}, not ${answer}` })
    } else answers[question.id] = answer as Answer
  }
  const judgements: Record<string, string> = {}
  const domainIds = new Set(tool.domains.map((d) => d.id))
  for (const [id, value] of Object.entries(input.judgements ?? {})) {
    if (!domainIds.has(id)) problems.push({ field: `judgements/${id}`, message: `${tool.id} has no domain "${id}"` })
    else if (tool.mode === 'algorithm' && !tool.domains.find((d) => d.id === id)!.applicability) problems.push({ field: `judgements/${id}`, message: `${tool.id} derives domain judgements from the signalling questions; give answers, not judgements` })
    else if (!tool.judgements.includes(value)) problems.push({ field: `judgements/${id}`, message: `domain ${id}: "${value}" is not a judgement of ${tool.id} (one of ${tool.judgements.join(', ')})` })
    else judgements[id] = value
  }
  if (tool.mode === 'judged' && complete) {
    for (const d of riskDomains(tool)) if (!(d.id in judgements) && !problems.some((p) => p.field === `judgements/${d.id}`)) problems.push({ field: `judgements/${d.id}`, message: `domain ${d.id} (${d.name}) has no judgement` })
  }
  const overrides: ValidAssessment['overrides'] = {}
  for (const [id, o] of Object.entries(input.overrides ?? {})) {
    const field = `overrides/${id}`
    if (id !== 'overall' && !domainIds.has(id)) problems.push({ field, message: `${tool.id} has no domain "${id}"` })
    else if (!tool.judgements.includes(o?.judgement)) problems.push({ field, message: `override of ${id}: "${o?.judgement}" is not a judgement of ${tool.id} (one of ${tool.judgements.join(', ')})` })
    else if (typeof o.reason !== 'string' || !o.reason.trim()) problems.push({ field, message: `override of ${id}: give the reason for overriding the judgement` })
    else overrides[id] = { judgement: o.judgement, reason: o.reason.trim() }
  }
  return { problems, assessment: { answers, judgements, overrides } }
}

/** The assessment, normalised (NA filled in for questions that do not apply), or Invalid naming every problem. */
export function validateAssessment(tool: Tool, input: AssessmentInput, options: { complete?: boolean } = {}): ValidAssessment {
  const { problems, assessment } = checkAssessment(tool, input, options)
  if (problems.length) throw new Invalid(problems.map((p) => p.message).join('; '), problems[0]!.field)
  return assessment
}

/** `proposed`: the judgement derived before a reviewer's override. */
export type Derived = Derivation & { proposed?: string }
export interface Judgements { domains: Array<{ id: string, name: string } & Derived>, overall: Derived }

function override(derivation: Derivation, o: { judgement: string, reason: string } | undefined): Derived {
  if (!o || o.judgement === derivation.judgement) return derivation
  return { judgement: o.judgement, proposed: derivation.judgement, path: [...derivation.path, `overridden by the reviewer: ${o.judgement} (${o.reason})`] }
}

/** Overall judgement of a tool from its risk-of-bias domains' judgements, with the rule that decided it. */
function overall(tool: Tool, all: Array<{ id: string, judgement: string }>): Derivation {
  const risk = new Set(riskDomains(tool).map((d) => d.id))
  const domains = all.filter((d) => risk.has(d.id))
  const having = (j: string) => domains.filter((d) => d.judgement === j).map((d) => d.id)
  // The scale's order of severity: ROBINS-I puts "no information" after critical, but it ranks between moderate and serious.
  const severity = tool.id === 'robins-i' ? ['critical', 'serious', 'no information', 'moderate', 'low'] : [...tool.judgements].reverse()
  for (const j of severity) {
    const ids = having(j)
    if (ids.length && j !== severity[severity.length - 1]) return { judgement: j, path: [`${j} in ${ids.join(', ')}`, `→ ${j}`] }
  }
  const best = severity[severity.length - 1]!
  return { judgement: best, path: [`${best} in every domain`, `→ ${best}`] }
}

/** Per-domain and overall judgements of a complete assessment, each with the path that led to it. */
export function deriveJudgements(tool: Tool, input: AssessmentInput): Judgements {
  const valid = validateAssessment(tool, input, { complete: true })
  // Applicability concerns (QUADAS-2) are optional: a domain left unjudged is left out.
  const domains = tool.domains.filter((d) => !d.applicability || valid.judgements[d.id] !== undefined).map((d) => {
    const derivation = tool.mode === 'algorithm' && !d.applicability
      ? ALGORITHMS[tool.id]![d.id]!(valid.answers)
      : { judgement: valid.judgements[d.id]!, path: [`reviewer's judgement: ${valid.judgements[d.id]}`] }
    return { id: d.id, name: d.name, ...override(derivation, valid.overrides[d.id]) }
  })
  return { domains, overall: override(overall(tool, domains), valid.overrides.overall) }
}

export interface Comparison {
  questions: Array<{ id: string, a: Answer, b: Answer, agree: boolean, sameDirection: boolean }>
  domains: Array<{ id: string, a: string, b: string, agree: boolean }>
  overall: { a: string, b: string, agree: boolean }
  /** Question ids and domain ids ("D2", "overall") the reviewers disagree on. */
  conflicts: string[]
  /** Share of questions applicable to either reviewer answered identically (null: none), and of domains judged identically. */
  questionAgreement: number | null
  domainAgreement: number
}

const direction = (a: Answer) => (a === 'Y' || a === 'PY') ? 'yes' : (a === 'N' || a === 'PN') ? 'no' : a

/** Agreement of two reviewers' complete assessments of the same result. */
export function compareAssessments(tool: Tool, a: AssessmentInput, b: AssessmentInput): Comparison {
  const ja = deriveJudgements(tool, a); const jb = deriveJudgements(tool, b)
  const va = validateAssessment(tool, a); const vb = validateAssessment(tool, b)
  const questions = tool.domains.flatMap((d) => d.questions).map((q) => {
    const x = va.answers[q.id]!; const y = vb.answers[q.id]!
    return { id: q.id, a: x, b: y, agree: x === y, sameDirection: direction(x) === direction(y) }
  }).filter((q) => !(q.a === 'NA' && q.b === 'NA'))
  const judged = (j: Judgements, id: string) => j.domains.find((d) => d.id === id)?.judgement ?? 'not judged'
  const domains = tool.domains.filter((d) => ja.domains.some((x) => x.id === d.id) || jb.domains.some((x) => x.id === d.id))
    .map((d) => ({ id: d.id, a: judged(ja, d.id), b: judged(jb, d.id), agree: judged(ja, d.id) === judged(jb, d.id) }))
  const overallAgree = ja.overall.judgement === jb.overall.judgement
  return {
    questions,
    domains,
    overall: { a: ja.overall.judgement, b: jb.overall.judgement, agree: overallAgree },
    conflicts: [...questions.filter((q) => !q.agree).map((q) => q.id), ...domains.filter((d) => !d.agree).map((d) => d.id), ...(overallAgree ? [] : ['overall'])],
    questionAgreement: questions.length ? questions.filter((q) => q.agree).length / questions.length : null,
    domainAgreement: domains.filter((d) => d.agree).length / domains.length
  }
}
