/**
 * The QUADAS-2 judgement of a risk-of-bias domain from its signalling
 * questions (Whiting PF et al. Ann Intern Med 2011;155:529–536): "If all
 * signalling questions for a domain are answered 'yes' then risk of bias can
 * be judged 'low'. If any signalling question is answered 'no' this flags the
 * potential for bias", which the review authors then judge with the rules of
 * their protocol; "unclear" is for when too little is reported to judge.
 *
 * So: every answer Y → low; any N → high, *proposed* (the path says that the
 * guidance leaves it to the reviewer, who may record "unclear" or "low" as an
 * override with a reason); otherwise (some unclear, none no) → unclear.
 */
import type { Derivation } from './rob2.ts'
import { QUADAS2, type Answer } from './tools.ts'

export type Quadas2Judgement = 'low' | 'unclear' | 'high'

function domain(id: string, answers: Record<string, Answer>): Derivation<Quadas2Judgement> {
  const questions = QUADAS2.domains.find((d) => d.id === id)!.questions
  const given = questions.map((q) => ({ id: q.id, a: answers[q.id] ?? 'NI' }))
  const path = given.map((g) => `${g.id} = ${g.a}`)
  const no = given.filter((g) => g.a === 'N').map((g) => g.id)
  if (no.length) {
    return { judgement: 'high', path: [...path, `"no" to ${no.join(', ')} flags potential for bias: high proposed; the guidance leaves the judgement to the reviewer (override with "unclear" or "low" and a reason)`, '→ high'] }
  }
  if (given.every((g) => g.a === 'Y')) return { judgement: 'low', path: [...path, 'every question answered "yes"', '→ low'] }
  return { judgement: 'unclear', path: [...path, 'no "no", some "unclear": too little reported to judge', '→ unclear'] }
}

export const QUADAS2_ALGORITHMS: Record<string, (answers: Record<string, Answer>) => Derivation<Quadas2Judgement>> = Object.fromEntries(
  QUADAS2.domains.filter((d) => d.questions.length).map((d) => [d.id, (answers: Record<string, Answer>) => domain(d.id, answers)])
)
