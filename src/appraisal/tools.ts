/**
 * Risk-of-bias tools as data: RoB 2 (signalling questions and the published
 * algorithms), ROBINS-I and Cochrane RoB 1 (domain judgements by the reviewer).
 *
 * RoB 2: Sterne JAC et al. BMJ 2019;366:l4898, and the full guidance document
 * "Revised Cochrane risk-of-bias tool for randomized trials (RoB 2)", version
 * of 22 August 2019 (individually randomized, parallel-group trials; effect of
 * assignment to intervention). The algorithm of each domain is written in
 * `src/appraisal/rob2.ts`.
 * ROBINS-I: Sterne JAC et al. BMJ 2016;355:i4919, Table 2 (overall judgement).
 * RoB 1: Higgins JPT et al. BMJ 2011;343:d5928; Cochrane Handbook 5.1, Table 8.7.a (summary).
 * QUADAS-2: Whiting PF et al. Ann Intern Med 2011;155:529–536 (signalling questions, Table 1, and
 * the guidance on judgements); its rule is written in `quadasDomain` below.
 */

export const ANSWERS = ['Y', 'PY', 'PN', 'N', 'NI', 'NA'] as const
export type Answer = typeof ANSWERS[number]

export const YES: readonly Answer[] = ['Y', 'PY']
export const NO: readonly Answer[] = ['N', 'PN']
export const YES_NI: readonly Answer[] = ['Y', 'PY', 'NI']
export const NO_NI: readonly Answer[] = ['N', 'PN', 'NI']

export interface SignallingQuestion {
  id: string
  text: string
  /** The answers allowed when the question applies (NA is never allowed then). */
  options: readonly Answer[]
  /** The question applies only when every condition holds (answers of earlier questions). */
  appliesIf?: Array<{ anyOf: Array<{ question: string, answers: readonly Answer[] }> }>
  /** Human wording of the applicability rule, as printed in the tool. */
  appliesIfText?: string
}

export interface ToolDomain {
  id: string
  name: string
  questions: SignallingQuestion[]
  /**
   * QUADAS-2's applicability concerns: judged by the reviewer (low / high / unclear), optional in a
   * complete assessment, left out of the overall judgement and of the robvis figures.
   */
  applicability?: boolean
}

export type ToolId = 'rob2' | 'robins-i' | 'rob1' | 'quadas-2'

export interface Tool {
  id: ToolId
  name: string
  /** The judgement scale, best first. */
  judgements: readonly string[]
  /** `algorithm`: judgements derived from signalling questions; `judged`: the reviewer gives each domain's judgement. */
  mode: 'algorithm' | 'judged'
  domains: ToolDomain[]
  overallRule: string
  /** How the tool words an answer when it differs from RoB 2's (QUADAS-2: NI is "unclear"). */
  answerLabels?: Record<string, string>
}

const ALL: readonly Answer[] = ['Y', 'PY', 'PN', 'N', 'NI']
const q = (id: string, text: string, options: readonly Answer[] = ALL, appliesIf?: SignallingQuestion['appliesIf'], appliesIfText?: string): SignallingQuestion =>
  ({ id, text, options, ...(appliesIf ? { appliesIf, appliesIfText } : {}) })
const when = (question: string, answers: readonly Answer[]) => ({ anyOf: [{ question, answers }] })

export const ROB2: Tool = {
  id: 'rob2',
  name: 'RoB 2 (revised Cochrane risk-of-bias tool for randomized trials), effect of assignment to intervention',
  judgements: ['low', 'some concerns', 'high'],
  mode: 'algorithm',
  overallRule: 'Low if every domain is low; high if any domain is high; otherwise some concerns. (The guidance lets reviewers judge a result high when some concerns in several domains substantially lower confidence in it; record that as an override.)',
  domains: [
    {
      id: 'D1',
      name: 'Bias arising from the randomization process',
      questions: [
        q('1.1', 'Was the allocation sequence random?'),
        q('1.2', 'Was the allocation sequence concealed until participants were enrolled and assigned to interventions?'),
        q('1.3', 'Did baseline differences between intervention groups suggest a problem with the randomization process?')
      ]
    },
    {
      id: 'D2',
      name: 'Bias due to deviations from intended interventions',
      questions: [
        q('2.1', 'Were participants aware of their assigned intervention during the trial?'),
        q('2.2', 'Were carers and people delivering the interventions aware of participants\' assigned intervention during the trial?'),
        q('2.3', 'Were there deviations from the intended intervention that arose because of the trial context?', ALL,
          [{ anyOf: [{ question: '2.1', answers: YES_NI }, { question: '2.2', answers: YES_NI }] }], 'If Y/PY/NI to 2.1 or 2.2'),
        q('2.4', 'Were these deviations likely to have affected the outcome?', ALL, [when('2.3', YES)], 'If Y/PY to 2.3'),
        q('2.5', 'Were these deviations from intended intervention balanced between groups?', ALL, [when('2.4', YES_NI)], 'If Y/PY/NI to 2.4'),
        q('2.6', 'Was an appropriate analysis used to estimate the effect of assignment to intervention?'),
        q('2.7', 'Was there potential for a substantial impact (on the result) of the failure to analyse participants in the group to which they were randomized?', ALL,
          [when('2.6', NO_NI)], 'If N/PN/NI to 2.6')
      ]
    },
    {
      id: 'D3',
      name: 'Bias due to missing outcome data',
      questions: [
        q('3.1', 'Were data for this outcome available for all, or nearly all, participants randomized?'),
        q('3.2', 'Is there evidence that the result was not biased by missing outcome data?', ['Y', 'PY', 'PN', 'N'], [when('3.1', NO_NI)], 'If N/PN/NI to 3.1'),
        q('3.3', 'Could missingness in the outcome depend on its true value?', ALL, [when('3.2', NO)], 'If N/PN to 3.2'),
        q('3.4', 'Is it likely that missingness in the outcome depended on its true value?', ALL, [when('3.3', YES_NI)], 'If Y/PY/NI to 3.3')
      ]
    },
    {
      id: 'D4',
      name: 'Bias in measurement of the outcome',
      questions: [
        q('4.1', 'Was the method of measuring the outcome inappropriate?'),
        q('4.2', 'Could measurement or ascertainment of the outcome have differed between intervention groups?'),
        q('4.3', 'Were outcome assessors aware of the intervention received by study participants?', ALL,
          [when('4.1', NO_NI), when('4.2', NO_NI)], 'If N/PN/NI to 4.1 and 4.2'),
        q('4.4', 'Could assessment of the outcome have been influenced by knowledge of intervention received?', ALL, [when('4.3', YES_NI)], 'If Y/PY/NI to 4.3'),
        q('4.5', 'Is it likely that assessment of the outcome was influenced by knowledge of intervention received?', ALL, [when('4.4', YES_NI)], 'If Y/PY/NI to 4.4')
      ]
    },
    {
      id: 'D5',
      name: 'Bias in selection of the reported result',
      questions: [
        q('5.1', 'Were the data that produced this result analysed in accordance with a pre-specified analysis plan that was finalized before unblinded outcome data were available for analysis?'),
        q('5.2', 'Is the numerical result being assessed likely to have been selected, on the basis of the results, from multiple eligible outcome measurements (e.g. scales, definitions, time points) within the outcome domain?'),
        q('5.3', 'Is the numerical result being assessed likely to have been selected, on the basis of the results, from multiple eligible analyses of the data?')
      ]
    }
  ]
}

export const ROBINS_I: Tool = {
  id: 'robins-i',
  name: 'ROBINS-I (Risk Of Bias In Non-randomised Studies of Interventions)',
  judgements: ['low', 'moderate', 'serious', 'critical', 'no information'],
  mode: 'judged',
  overallRule: 'Critical if any domain is critical; otherwise serious if any domain is serious; otherwise no information if any domain lacks information; otherwise moderate if any domain is moderate; otherwise low (Sterne et al. 2016, Table 2).',
  domains: [
    { id: 'D1', name: 'Bias due to confounding', questions: [] },
    { id: 'D2', name: 'Bias in selection of participants into the study', questions: [] },
    { id: 'D3', name: 'Bias in classification of interventions', questions: [] },
    { id: 'D4', name: 'Bias due to deviations from intended interventions', questions: [] },
    { id: 'D5', name: 'Bias due to missing data', questions: [] },
    { id: 'D6', name: 'Bias in measurement of outcomes', questions: [] },
    { id: 'D7', name: 'Bias in selection of the reported result', questions: [] }
  ]
}

export const ROB1: Tool = {
  id: 'rob1',
  name: 'Cochrane risk-of-bias tool (RoB 1)',
  judgements: ['low', 'unclear', 'high'],
  mode: 'judged',
  overallRule: 'High if any domain is high; otherwise unclear if any domain is unclear; otherwise low (Cochrane Handbook 5.1, Table 8.7.a, every domain taken as key).',
  domains: [
    { id: 'D1', name: 'Random sequence generation', questions: [] },
    { id: 'D2', name: 'Allocation concealment', questions: [] },
    { id: 'D3', name: 'Blinding of participants and personnel', questions: [] },
    { id: 'D4', name: 'Blinding of outcome assessment', questions: [] },
    { id: 'D5', name: 'Incomplete outcome data', questions: [] },
    { id: 'D6', name: 'Selective reporting', questions: [] },
    { id: 'D7', name: 'Other bias', questions: [] }
  ]
}

const YNU: readonly Answer[] = ['Y', 'N', 'NI']
const yn = (id: string, text: string) => q(id, text, YNU)

export const QUADAS2: Tool = {
  id: 'quadas-2',
  name: 'QUADAS-2 (quality assessment of diagnostic accuracy studies)',
  judgements: ['low', 'unclear', 'high'],
  mode: 'algorithm',
  answerLabels: { Y: 'yes', N: 'no', NI: 'unclear' },
  overallRule: 'QUADAS-2 itself gives no overall judgement; as robvis does, the overall is the worst risk-of-bias domain: high if any domain is high; otherwise unclear if any is unclear; otherwise low. Applicability concerns are judged by the reviewer and reported beside it.',
  domains: [
    {
      id: 'D1',
      name: 'Patient selection',
      questions: [
        yn('1.1', 'Was a consecutive or random sample of patients enrolled?'),
        yn('1.2', 'Was a case-control design avoided?'),
        yn('1.3', 'Did the study avoid inappropriate exclusions?')
      ]
    },
    {
      id: 'D2',
      name: 'Index test',
      questions: [
        yn('2.1', 'Were the index test results interpreted without knowledge of the results of the reference standard?'),
        yn('2.2', 'If a threshold was used, was it pre-specified?')
      ]
    },
    {
      id: 'D3',
      name: 'Reference standard',
      questions: [
        yn('3.1', 'Is the reference standard likely to correctly classify the target condition?'),
        yn('3.2', 'Were the reference standard results interpreted without knowledge of the results of the index test?')
      ]
    },
    {
      id: 'D4',
      name: 'Flow and timing',
      questions: [
        yn('4.1', 'Was there an appropriate interval between index test(s) and reference standard?'),
        yn('4.2', 'Did all patients receive a reference standard?'),
        yn('4.3', 'Did patients receive the same reference standard?'),
        yn('4.4', 'Were all patients included in the analysis?')
      ]
    },
    { id: 'A1', name: 'Applicability concerns: patient selection (are there concerns that the included patients do not match the review question?)', questions: [], applicability: true },
    { id: 'A2', name: 'Applicability concerns: index test (are there concerns that the index test, its conduct, or interpretation differ from the review question?)', questions: [], applicability: true },
    { id: 'A3', name: 'Applicability concerns: reference standard (are there concerns that the target condition as defined by the reference standard does not match the review question?)', questions: [], applicability: true }
  ]
}

export const TOOLS: Record<ToolId, Tool> = { rob2: ROB2, 'robins-i': ROBINS_I, rob1: ROB1, 'quadas-2': QUADAS2 }

/** The domains whose judgements make the overall one and the robvis figures (all but QUADAS-2's applicability concerns). */
export const riskDomains = (tool: Tool): ToolDomain[] => tool.domains.filter((d) => !d.applicability)
