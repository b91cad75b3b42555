/**
 * The RoB 2 algorithms mapping signalling-question answers to a domain's
 * proposed judgement (RoB 2 full guidance, 22 August 2019: the "Risk-of-bias
 * judgement" algorithm of each domain; individually randomized trials, effect
 * of assignment to intervention). Each returns the judgement and the path of
 * answers that led to it. Answers are those of a validated assessment: a
 * question that does not apply is 'NA'.
 */
import { YES, NO, type Answer } from './tools.ts'

export type Rob2Judgement = 'low' | 'some concerns' | 'high'
export interface Derivation<J extends string = string> { judgement: J, path: string[] }

const is = (a: Answer | undefined, set: readonly Answer[]) => a !== undefined && set.includes(a)

class Walk {
  readonly path: string[] = []
  constructor(private readonly answers: Record<string, Answer>) {}
  /** The answer to `id`, recorded in the path. */
  a(id: string): Answer { const a = this.answers[id] ?? 'NA'; this.path.push(`${id} = ${a}`); return a }
  end(judgement: Rob2Judgement): Derivation<Rob2Judgement> { this.path.push(`→ ${judgement}`); return { judgement, path: this.path } }
}

/** Domain 1, randomization process. */
function d1(w: Walk): Derivation<Rob2Judgement> {
  const concealed = w.a('1.2')
  if (is(concealed, NO)) return w.end('high')
  const baseline = w.a('1.3')
  if (concealed === 'NI') return w.end(is(baseline, YES) ? 'high' : 'some concerns')
  if (is(baseline, YES)) return w.end('some concerns')
  return w.end(is(w.a('1.1'), NO) ? 'some concerns' : 'low')
}

/** Domain 2, deviations from intended interventions (assignment): part 1 (2.1–2.5), part 2 (2.6–2.7), worst of the two. */
function d2(w: Walk): Derivation<Rob2Judgement> {
  let part1: Rob2Judgement
  const participants = w.a('2.1'); const carers = w.a('2.2')
  if (is(participants, NO) && is(carers, NO)) part1 = 'low'
  else {
    const deviations = w.a('2.3')
    if (is(deviations, NO)) part1 = 'low'
    else if (deviations === 'NI') part1 = 'some concerns'
    else if (is(w.a('2.4'), NO)) part1 = 'some concerns'
    else part1 = is(w.a('2.5'), YES) ? 'some concerns' : 'high'
  }
  w.path.push(`part 1 (2.1–2.5): ${part1}`)
  let part2: Rob2Judgement
  if (is(w.a('2.6'), YES)) part2 = 'low'
  else part2 = is(w.a('2.7'), NO) ? 'some concerns' : 'high'
  w.path.push(`part 2 (2.6–2.7): ${part2}`)
  return w.end(worst([part1, part2]))
}

/** Domain 3, missing outcome data. */
function d3(w: Walk): Derivation<Rob2Judgement> {
  if (is(w.a('3.1'), YES)) return w.end('low')
  if (is(w.a('3.2'), YES)) return w.end('low')
  if (is(w.a('3.3'), NO)) return w.end('low')
  return w.end(is(w.a('3.4'), NO) ? 'some concerns' : 'high')
}

/** Domain 4, measurement of the outcome. */
function d4(w: Walk): Derivation<Rob2Judgement> {
  if (is(w.a('4.1'), YES)) return w.end('high')
  const differed = w.a('4.2')
  if (is(differed, YES)) return w.end('high')
  // 4.2 N/PN: the lowest judgement is low; 4.2 NI: some concerns.
  const floor: Rob2Judgement = differed === 'NI' ? 'some concerns' : 'low'
  if (is(w.a('4.3'), NO)) return w.end(floor)
  if (is(w.a('4.4'), NO)) return w.end(floor)
  return w.end(is(w.a('4.5'), NO) ? 'some concerns' : 'high')
}

/** Domain 5, selection of the reported result. */
function d5(w: Walk): Derivation<Rob2Judgement> {
  const outcomes = w.a('5.2'); const analyses = w.a('5.3')
  if (is(outcomes, YES) || is(analyses, YES)) return w.end('high')
  if (outcomes === 'NI' || analyses === 'NI') return w.end('some concerns')
  return w.end(is(w.a('5.1'), YES) ? 'low' : 'some concerns')
}

const ORDER: Rob2Judgement[] = ['low', 'some concerns', 'high']
const worst = (js: Rob2Judgement[]) => ORDER[Math.max(...js.map((j) => ORDER.indexOf(j)))]!

export const ROB2_ALGORITHMS: Record<string, (answers: Record<string, Answer>) => Derivation<Rob2Judgement>> = {
  D1: (a) => d1(new Walk(a)),
  D2: (a) => d2(new Walk(a)),
  D3: (a) => d3(new Walk(a)),
  D4: (a) => d4(new Walk(a)),
  D5: (a) => d5(new Walk(a))
}
