/**
 * The ATN relevance score: the original AnalyLit's keyword heuristic for the
 * digital therapeutic alliance, as a configurable criteria set.
 *
 * Each criterion lists weighted terms; a term found in the article (title,
 * abstract, keywords) adds its weight once, and a criterion's points are capped.
 * Bonuses for recent years and longitudinal designs are added, the total is
 * divided by the set's divisor and given as a percentage (one decimal, at most
 * 100), and the percentage falls into the first category whose threshold it reaches.
 *
 * Matching: case-insensitive, accents folded, on word boundaries (a term must
 * not be preceded or followed by a letter or digit; spaces in a term match any
 * run of white space). The original matched substrings, so "rct" matched inside
 * other words ("nRCT", a non-randomised trial) and "accessibility" inside
 * "inaccessibility"; that is no longer so. As in the
 * original, a term listed by two criteria ("user experience") counts in both.
 */
import { Invalid } from '../errors.ts'

export interface AtnTerm { term: string, weight: number }
export interface AtnCriterion { id: string, label: string, cap: number, terms: AtnTerm[] }
export interface AtnCategory { label: string, min: number }
export interface AtnCriteriaSet {
  name: string
  version: string
  criteria: AtnCriterion[]
  /** Year bonuses, highest `minYear` first; the first one reached applies. */
  recencyBonuses: Array<{ minYear: number, points: number }>
  /** Points added once if any of the terms is found. */
  longitudinalBonus: { points: number, terms: string[] }
  /** total ÷ divisor × 100 is the percentage. */
  divisor: number
  /** Highest `min` first; the last one should have `min` 0. */
  categories: AtnCategory[]
}

export const ATN_V2_2: AtnCriteriaSet = {
  name: 'ATN',
  version: '2.2',
  criteria: [
    { id: 'therapeutic_alliance', label: 'therapeutic alliance', cap: 20, terms: [{ term: 'therapeutic alliance', weight: 6 }, { term: 'working alliance', weight: 6 }, { term: 'digital therapeutic alliance', weight: 8 }] },
    { id: 'digital_health', label: 'digital health', cap: 18, terms: [{ term: 'digital health', weight: 3 }, { term: 'digital therapeutic', weight: 4 }, { term: 'prescribable app', weight: 5 }, { term: 'diga', weight: 5 }] },
    { id: 'conversational_ai_empathy', label: 'conversational AI empathy', cap: 15, terms: [{ term: 'artificial empathy', weight: 8 }, { term: 'ai empathy', weight: 8 }, { term: 'empathic ai', weight: 8 }, { term: 'conversational ai', weight: 6 }] },
    { id: 'patient_centred', label: 'patient-centred approach', cap: 15, terms: [{ term: 'patient-centered', weight: 4 }, { term: 'patient engagement', weight: 5 }, { term: 'user experience', weight: 4 }] },
    { id: 'technology_acceptance', label: 'technology acceptance', cap: 12, terms: [{ term: 'technology acceptance', weight: 4 }, { term: 'user experience', weight: 4 }, { term: 'digital literacy', weight: 4 }] },
    { id: 'equity_accessibility', label: 'equity/accessibility', cap: 10, terms: [{ term: 'health equity', weight: 5 }, { term: 'digital divide', weight: 5 }, { term: 'accessibility', weight: 4 }, { term: 'inclusive design', weight: 4 }] },
    { id: 'clinical_validation', label: 'clinical validation', cap: 10, terms: [{ term: 'clinical validation', weight: 5 }, { term: 'randomized controlled trial', weight: 5 }, { term: 'rct', weight: 4 }, { term: 'fda approved', weight: 6 }] }
  ],
  recencyBonuses: [{ minYear: 2022, points: 10 }, { minYear: 2020, points: 7 }],
  longitudinalBonus: { points: 5, terms: ['longitudinal', 'follow-up', 'long-term', 'cohort study'] },
  divisor: 110,
  categories: [{ label: 'very relevant', min: 75 }, { label: 'relevant', min: 60 }, { label: 'not very relevant', min: 0 }]
}

export interface AtnArticle { title?: string | null, abstract?: string | null, keywords?: string[] | string | null, year?: number | null }

export interface AtnJustification {
  criteria: Array<{ id: string, label: string, termsFound: AtnTerm[], points: number, cap: number, cappedPoints: number }>
  recencyBonus: number
  longitudinalTermsFound: string[]
  longitudinalBonus: number
  total: number
  divisor: number
  percentage: number
}
export interface AtnScore { score: number, category: string, justification: AtnJustification }

/** Lower case, accents removed (NFD without combining marks). */
export const fold = (text: string) => text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase()

function termPattern(term: string): RegExp {
  const words = fold(term).trim().split(/\s+/).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  return new RegExp(`(?<![\\p{L}\\p{N}])${words.join('\\s+')}(?![\\p{L}\\p{N}])`, 'u')
}

/** Checks a criteria set's numbers (a set is data: it may come from a user). */
export function validateCriteriaSet(set: AtnCriteriaSet): AtnCriteriaSet {
  if (!(set.divisor > 0)) throw new Invalid('the divisor must be a positive number', 'divisor')
  set.criteria.forEach((c, i) => {
    if (!(c.cap >= 0)) throw new Invalid(`criterion "${c.label}": the cap must be a number ≥ 0`, `criteria/${i}/cap`)
    c.terms.forEach((t, j) => {
      if (!t.term.trim()) throw new Invalid(`criterion "${c.label}": term ${j + 1} is empty`, `criteria/${i}/terms/${j}/term`)
      if (!Number.isFinite(t.weight)) throw new Invalid(`criterion "${c.label}": the weight of "${t.term}" is not a number`, `criteria/${i}/terms/${j}/weight`)
    })
  })
  if (!set.categories.length || set.categories.some((c, i) => i > 0 && c.min >= set.categories[i - 1]!.min)) {
    throw new Invalid('categories must be given highest threshold first, with distinct thresholds', 'categories')
  }
  return set
}

export function scoreArticle(set: AtnCriteriaSet, article: AtnArticle): AtnScore {
  const keywords = Array.isArray(article.keywords) ? article.keywords.join('; ') : (article.keywords ?? '')
  // Parts joined by a line break, so that a term never spans title and abstract.
  const text = fold([article.title ?? '', article.abstract ?? '', keywords].join('\n'))
  const criteria = set.criteria.map((c) => {
    const termsFound = c.terms.filter((t) => termPattern(t.term).test(text))
    const points = termsFound.reduce((sum, t) => sum + t.weight, 0)
    return { id: c.id, label: c.label, termsFound, points, cap: c.cap, cappedPoints: Math.min(points, c.cap) }
  })
  const year = article.year ?? null
  const recencyBonus = year === null ? 0 : (set.recencyBonuses.find((b) => year >= b.minYear)?.points ?? 0)
  const longitudinalTermsFound = set.longitudinalBonus.terms.filter((t) => termPattern(t).test(text))
  const longitudinalBonus = longitudinalTermsFound.length ? set.longitudinalBonus.points : 0
  const total = criteria.reduce((sum, c) => sum + c.cappedPoints, 0) + recencyBonus + longitudinalBonus
  const percentage = Math.min(100, Math.round(total / set.divisor * 1000) / 10)
  const category = set.categories.find((c) => percentage >= c.min)?.label ?? set.categories[set.categories.length - 1]!.label
  return { score: percentage, category, justification: { criteria, recencyBonus, longitudinalTermsFound, longitudinalBonus, total, divisor: set.divisor, percentage } }
}
