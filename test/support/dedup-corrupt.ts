/**
 * Test-set generator for duplicate detection: it takes real records and
 * makes (a) duplicates that differ the way one article differs between
 * databases — casing, punctuation, HTML entities and tags, missing DOI or
 * PMID, abbreviated journal, initials instead of given names, year off by
 * one (in press vs final), "123-129" vs "123-9" pages, trailing period,
 * diacritics vs ASCII, British vs American spelling, a typo, missing
 * abstract — and (b) realistic non-duplicates that look alike: another
 * paper by the same first author in the same year, the conference and
 * journal versions of a study under different titles, part 1 / part 2
 * companion papers, an erratum repeating the title, and a paper with the
 * same title by other authors in another year. A seeded generator makes
 * every set reproducible. Used by the tests and bench/dedup-quality.ts.
 */

import type { Author, ReferenceRecord } from '../../src/references/model.ts'
import type { DedupItem } from '../../src/dedup/cluster.ts'

export type Random = () => number

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function pick<T>(random: Random, values: readonly T[]): T {
  return values[Math.floor(random() * values.length)]
}

function shuffle<T>(random: Random, values: T[]): T[] {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[values[i], values[j]] = [values[j], values[i]]
  }
  return values
}

function copyRecord(record: ReferenceRecord): ReferenceRecord {
  return {
    ...record,
    authors: record.authors.map((a) => ({ ...a })),
    keywords: [...record.keywords],
    mesh: [...record.mesh],
    notes: [...record.notes],
    attachments: [...record.attachments],
    issn: record.issn ? [...record.issn] : undefined,
    isbn: record.isbn ? [...record.isbn] : undefined,
    original: null
  }
}

const SMALL_WORDS = new Set(['a', 'an', 'the', 'of', 'and', 'or', 'in', 'on', 'for', 'to', 'with', 'by', 'at', 'from', 'vs'])

function titleCase(text: string): string {
  return text.toLowerCase().replace(/[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu, (word, offset: number) =>
    offset > 0 && SMALL_WORDS.has(word) ? word : word[0].toUpperCase() + word.slice(1))
}

const SPELLINGS: Array<[RegExp, string]> = [
  [/randomized/g, 'randomised'], [/randomised/g, 'randomized'], [/behavior/g, 'behaviour'], [/behaviour/g, 'behavior'],
  [/tumor/g, 'tumour'], [/pediatric/g, 'paediatric'], [/paediatric/g, 'pediatric'], [/anesthe/g, 'anaesthe'],
  [/hemorrh/g, 'haemorrh'], [/esophag/g, 'oesophag'], [/estrogen/g, 'oestrogen'], [/organiz/g, 'organis'],
  [/analyz/g, 'analys'], [/center/g, 'centre'], [/color/g, 'colour'], [/modeling/g, 'modelling']
]

const ASCII_FOLDS: Array<[RegExp, string]> = [
  [/[‘’]/g, "'"], [/[“”]/g, '"'], [/[–—]/g, '-'], [/α/g, 'alpha'], [/β/g, 'beta'], [/γ/g, 'gamma'], [/κ/g, 'kappa']
]

function asciiFold(text: string): string {
  let folded = text.normalize('NFKD').replace(/\p{M}+/gu, '')
  for (const [pattern, replacement] of ASCII_FOLDS) folded = folded.replace(pattern, replacement)
  return folded
}

/** Title variations one database applies to another's title. */
const TITLE_CHANGES: Array<(title: string, random: Random) => string> = [
  (t) => t.toUpperCase(),
  (t) => t.toLowerCase(),
  (t) => titleCase(t),
  (t) => (/[.?!]$/.test(t) ? t.replace(/[.]$/, '') : `${t}.`),
  (t) => t.replace(/: /g, ' - ').replace(/,/g, ''),
  (t) => t.replace(/(\p{L})-(\p{L})/gu, '$1 $2'),
  (t) => t.replace(/&/g, '&amp;').replace(/[–—]/g, '&#8211;').replace(/'/g, '&#39;').replace(/ - /g, ' &#8211; '),
  (t, random) => {
    const words = t.split(' ')
    const k = Math.floor(random() * words.length)
    if (words[k].length > 3) words[k] = `<i>${words[k]}</i>`
    return words.join(' ')
  },
  (t) => asciiFold(t),
  (t) => {
    for (const [pattern, replacement] of SPELLINGS) if (pattern.test(t)) return t.replace(pattern, replacement)
    return t
  },
  (t, random) => {
    // One typing or OCR error.
    const position = 1 + Math.floor(random() * (t.length - 2))
    const kind = random()
    if (kind < 0.33) return t.slice(0, position) + t.slice(position + 1)
    if (kind < 0.66) return t.slice(0, position) + t[position + 1] + t[position] + t.slice(position + 2)
    return t.slice(0, position) + pick(random, 'aeioustnr'.split('')) + t.slice(position + 1)
  },
  (t) => `[${t.replace(/[.]$/, '')}].`
]

const JOURNAL_ABBREVIATIONS: Record<string, string> = {
  journal: 'J', journals: 'J', international: 'Int', american: 'Am', british: 'Br', european: 'Eur', medical: 'Med',
  medicine: 'Med', research: 'Res', clinical: 'Clin', science: 'Sci', sciences: 'Sci', psychology: 'Psychol',
  psychiatric: 'Psychiatr', software: 'Softw', engineering: 'Eng', computer: 'Comput', computers: 'Comput',
  computing: 'Comput', information: 'Inf', technology: 'Technol', systems: 'Syst', management: 'Manag', review: 'Rev',
  reviews: 'Rev', annals: 'Ann', archives: 'Arch', proceedings: 'Proc', national: 'Natl', academy: 'Acad',
  association: 'Assoc', society: 'Soc', therapy: 'Ther', therapeutics: 'Ther', pharmacology: 'Pharmacol',
  internal: 'Intern', general: 'Gen', practice: 'Pract', nursing: 'Nurs', education: 'Educ', studies: 'Stud',
  applied: 'Appl', behavior: 'Behav', behaviour: 'Behav', behavioral: 'Behav', cognitive: 'Cogn', social: 'Soc',
  quarterly: 'Q', communications: 'Commun', transactions: 'Trans', letters: 'Lett', biology: 'Biol', surgery: 'Surg',
  pediatrics: 'Pediatr', neurology: 'Neurol', cardiology: 'Cardiol', oncology: 'Oncol', disease: 'Dis', diseases: 'Dis',
  mental: 'Ment', telemedicine: 'Telemed', digital: 'Digit', human: 'Hum', interaction: 'Interact', family: 'Fam',
  affective: 'Aff', disorders: 'Disord', counseling: 'Couns', consulting: 'Consult', experimental: 'Exp',
  adolescent: 'Adolesc', psychotherapy: 'Psychother', telecare: 'Telecare', informatics: 'Inform', economics: 'Econ'
}
const JOURNAL_SMALL_WORDS = new Set(['of', 'the', 'and', '&', 'in', 'for', 'on'])

/** ISO 4-style abbreviation: "Journal of Medical Internet Research" -> "J Med Internet Res". */
export function abbreviateJournal(journal: string): string {
  return journal.split(/\s+/)
    .filter((w) => !JOURNAL_SMALL_WORDS.has(w.toLowerCase()))
    .map((w) => {
      const bare = w.replace(/[^\p{L}]/gu, '').toLowerCase()
      return JOURNAL_ABBREVIATIONS[bare] ?? w.replace(/[:,.]$/, '')
    })
    .join(' ')
}

function initialsOf(given: string): string[] {
  return given.split(/[\s.-]+/).filter((part) => part.length > 0).map((part) => part[0].toUpperCase())
}

/** Author-list variations: initials for given names, Vancouver style, folded diacritics, a truncated list. */
const AUTHOR_CHANGES: Array<(authors: Author[], random: Random) => Author[]> = [
  (authors) => authors.map((a) => (a.given && !a.literal ? { ...a, given: initialsOf(a.given).map((i) => `${i}.`).join(' ') } : a)),
  (authors) => authors.map((a) => (a.given && !a.literal ? { ...a, given: initialsOf(a.given).join('') } : a)),
  (authors) => authors.map((a) => (a.given && !a.literal ? { family: `${a.family} ${initialsOf(a.given).join('')}` } : a)),
  (authors) => authors.map((a) => ({ ...a, family: asciiFold(a.family) })),
  (authors) => authors.map((a) => ({ ...a, family: a.family.replace(/ä/g, 'ae').replace(/ö/g, 'oe').replace(/ü/g, 'ue') })),
  (authors) => authors.map((a) => ({ ...a, family: a.family.toUpperCase() })),
  (authors) => authors.slice(0, Math.min(authors.length, 3))
]

const PAGE_CHANGES: Array<(pages: string) => string> = [
  (p) => p.replace(/^(\d+)\s*[-–]\s*(\d+)$/, (whole, a: string, b: string) => {
    // "123-129" -> "123-9": drop the leading digits the last page shares.
    if (a.length !== b.length) return whole
    let k = 0
    while (k < a.length - 1 && a[k] === b[k]) k++
    return `${a}-${b.slice(k)}`
  }),
  (p) => p.replace(/-/g, '–'),
  (p) => p.split(/[-–]/)[0],
  (p) => p.replace(/[-–]/, ' - ')
]

const COPYRIGHT_LINES = [
  ' © 2019 Elsevier Ltd. All rights reserved.',
  ' (PsycINFO Database Record (c) 2016 APA, all rights reserved)',
  ' Copyright © 2020 John Wiley & Sons, Ltd.'
]

/** A copy of `record` as another database would deliver it (always at least two changes). */
export function corruptDuplicate(record: ReferenceRecord, random: Random): ReferenceRecord {
  const copy = copyRecord(record)
  if (copy.title) {
    const changes = 1 + Math.floor(random() * 3)
    for (let k = 0; k < changes; k++) copy.title = pick(random, TITLE_CHANGES)(copy.title, random)
  }
  // Another database does not always carry the identifiers.
  if (copy.doi && random() < 0.7) delete copy.doi
  if (copy.pmid && random() < 0.6) delete copy.pmid
  if (copy.pmcid && random() < 0.7) delete copy.pmcid
  if (copy.journal && random() < 0.5) {
    copy.journal = abbreviateJournal(copy.journal)
    delete copy.journalAbbrev
  }
  if (copy.authors.length > 0 && random() < 0.6) copy.authors = pick(random, AUTHOR_CHANGES)(copy.authors, random)
  if (copy.year !== undefined && random() < 0.15) copy.year += random() < 0.5 ? -1 : 1
  if (copy.pages && random() < 0.5) copy.pages = pick(random, PAGE_CHANGES)(copy.pages)
  if (copy.abstract) {
    const roll = random()
    if (roll < 0.25) delete copy.abstract
    else if (roll < 0.45) copy.abstract += pick(random, COPYRIGHT_LINES)
    else if (roll < 0.55) copy.abstract = asciiFold(copy.abstract)
  }
  if (copy.issue && random() < 0.3) delete copy.issue
  if (copy.volume && random() < 0.1) delete copy.volume
  if (copy.pages && random() < 0.1) delete copy.pages
  copy.keywords = random() < 0.5 ? [] : copy.keywords
  return copy
}

export type LookalikeKind = 'same-author-year' | 'conference-version' | 'companion-part' | 'erratum' | 'same-title-other-authors' |
  'abstract-of-article' | 'same-title-other-meeting' | 'different-doi'

export const LOOKALIKE_KINDS: readonly LookalikeKind[] = [
  'same-author-year', 'conference-version', 'companion-part', 'erratum', 'same-title-other-authors',
  'abstract-of-article', 'same-title-other-meeting', 'different-doi'
]

const SOCIETIES = ['European Society of Cardiology', 'American Psychiatric Association', 'International Society for Research on Internet Interventions',
  'American Diabetes Association', 'European Respiratory Society', 'Society for Neuroscience']

/**
 * A distinct record that resembles `record`, built with words and
 * bibliographic data from `donor` (another real record). For
 * 'companion-part' the base record itself is renamed "…: Part 1" and
 * returned as `base`.
 */
export function makeLookalike(
  record: ReferenceRecord, donor: ReferenceRecord, kind: LookalikeKind, random: Random
): { lookalike: ReferenceRecord; base?: ReferenceRecord } {
  const lookalike = copyRecord(record)
  delete lookalike.doi
  delete lookalike.pmid
  delete lookalike.pmcid
  const title = record.title ?? ''
  const otherPages = (): string => {
    const first = 1 + Math.floor(random() * 900)
    return `${first}-${first + 3 + Math.floor(random() * 15)}`
  }
  switch (kind) {
    case 'same-author-year':
      lookalike.title = donor.title
      lookalike.abstract = donor.abstract
      lookalike.pages = record.pages ? otherPages() : undefined
      break
    case 'conference-version': {
      // The same study presented at a conference under a different title.
      const words = title.replace(/[.]$/, '').split(' ')
      const kept = words.slice(0, Math.max(2, Math.floor(words.length * (0.3 + random() * 0.2))))
      const borrowed = (donor.title ?? '').split(' ')
      lookalike.title = [...kept, ...borrowed.slice(Math.floor(borrowed.length / 2))].join(' ')
      lookalike.type = 'conference-paper'
      lookalike.journal = `Proceedings of the ${2000 + Math.floor(random() * 24)} Annual Conference`
      lookalike.year = record.year !== undefined ? record.year - 1 : undefined
      lookalike.pages = otherPages()
      lookalike.volume = undefined
      lookalike.abstract = donor.abstract
      break
    }
    case 'companion-part': {
      const base = copyRecord(record)
      base.original = record.original
      const bare = title.replace(/[.]$/, '')
      base.title = `${bare}: Part 1`
      lookalike.title = `${bare}: Part 2`
      lookalike.pages = otherPages()
      lookalike.abstract = donor.abstract
      return { lookalike, base }
    }
    case 'erratum':
      lookalike.title = `Erratum: ${title}`
      lookalike.abstract = undefined
      lookalike.year = record.year !== undefined ? record.year + 1 : undefined
      lookalike.pages = otherPages()
      break
    case 'abstract-of-article': {
      // The study's abstract at a meeting: same title and authors, printed in a supplement the year before.
      lookalike.type = 'conference-paper'
      const first = 1 + Math.floor(random() * 400)
      lookalike.pages = `S${first}`
      lookalike.issue = 'Suppl 1'
      lookalike.year = record.year !== undefined ? record.year - 1 : undefined
      lookalike.volume = record.volume && /^\d+$/.test(record.volume) ? String(Number(record.volume) - 1) : undefined
      break
    }
    case 'same-title-other-meeting': {
      // One abstract presented at two meetings: the base becomes an abstract too.
      const [one, other] = shuffle(random, [...SOCIETIES]).slice(0, 2)
      const base = copyRecord(record)
      base.original = record.original
      base.type = 'conference-paper'
      base.journal = `Annual Meeting of the ${one}`
      base.volume = undefined
      base.pages = `S${1 + Math.floor(random() * 400)}`
      lookalike.type = 'conference-paper'
      lookalike.journal = `${other} Congress`
      lookalike.volume = undefined
      lookalike.pages = undefined
      lookalike.year = record.year !== undefined ? record.year + 1 : undefined
      return { lookalike, base }
    }
    case 'different-doi': {
      // The same title published twice (a statement in two journals, a re-publication): two DOIs.
      const base = copyRecord(record)
      base.original = record.original
      base.doi = record.doi ?? `10.5555/base.${Math.floor(random() * 1e9)}`
      lookalike.doi = `10.5555/other.${Math.floor(random() * 1e9)}`
      lookalike.journal = donor.journal
      lookalike.volume = donor.volume
      lookalike.pages = donor.pages
      return { lookalike, base }
    }
    case 'same-title-other-authors':
      lookalike.authors = donor.authors.map((a) => ({ ...a }))
      lookalike.year = record.year !== undefined ? record.year + 2 + Math.floor(random() * 6) : donor.year
      lookalike.journal = donor.journal
      lookalike.pages = donor.pages
      lookalike.volume = donor.volume
      lookalike.abstract = donor.abstract
      break
  }
  return { lookalike }
}

export interface CorruptedSetOptions {
  seed: number
  /** Share of base records that get a duplicate (default 0.3); a fifth of those get a second one. */
  duplicateRate?: number
  /** Share of base records that get a look-alike non-duplicate (default 0.1; at most one per donor, i.e. per eight records). */
  lookalikeRate?: number
  /** Prefix of the generated item ids (default 'r'). */
  idPrefix?: string
}

export interface CorruptedSet {
  /** Shuffled records: bases, duplicates and look-alikes. */
  items: DedupItem[]
  /** Item id -> true cluster label (duplicates share their base's label). */
  truth: Map<string, string>
  duplicates: number
  lookalikes: Record<LookalikeKind, number>
}

/**
 * Base records plus corrupted duplicates and look-alike non-duplicates, with
 * the truth. The records should be distinct studies; one in eight is not
 * put in the set but lends its title, authors and abstract to look-alikes. Same-title look-alikes
 * are only made for records with authors: without authors, a paper with an
 * identical long title cannot be told from a duplicate.
 */
export function buildCorruptedSet(records: readonly ReferenceRecord[], options: CorruptedSetOptions): CorruptedSet {
  const random = seededRandom(options.seed)
  const duplicateRate = options.duplicateRate ?? 0.3
  const lookalikeRate = options.lookalikeRate ?? 0.1
  // Every eighth record is held out as a donor of words, authors and
  // abstracts for look-alikes, so that a look-alike never copies a record
  // that is in the set (that copy would be a duplicate of it, not a look-alike).
  const bases = records.filter((_, k) => k % 8 !== 7)
  const donors = shuffle(random, records.filter((_, k) => k % 8 === 7))
  let nextDonor = 0
  const entries: Array<{ record: ReferenceRecord; label: string }> = []
  const lookalikes = Object.fromEntries(LOOKALIKE_KINDS.map((kind) => [kind, 0])) as Record<LookalikeKind, number>
  let duplicates = 0
  bases.forEach((record, index) => {
    const label = `s${index}`
    const baseEntry = { record, label }
    entries.push(baseEntry)
    if (!record.title) return
    // The look-alike comes first: a companion part renames the base, and the
    // duplicates must copy the renamed base.
    if (random() < lookalikeRate && nextDonor < donors.length) {
      // Each donor lends itself once: two look-alikes from one donor would be duplicates of each other.
      const donor = donors[nextDonor++]
      const kinds: LookalikeKind[] = ['conference-version', 'companion-part', 'erratum', 'same-title-other-meeting']
      // A meeting abstract is told from the article by the venue and pages, and a second publication by its
      // venue and DOI: a record without a venue would make a look-alike that only a DOI, which its
      // duplicates may lack, tells apart.
      if (record.journal) kinds.push('abstract-of-article')
      if (record.journal && donor.journal) kinds.push('different-doi')
      if (record.authors.length > 0 && donor.authors.length > 0) kinds.push('same-author-year', 'same-title-other-authors')
      const kind = pick(random, kinds)
      const { lookalike, base } = makeLookalike(record, donor, kind, random)
      if (base) baseEntry.record = base
      entries.push({ record: lookalike, label: `l${index}` })
      lookalikes[kind]++
    }
    if (random() < duplicateRate) {
      entries.push({ record: corruptDuplicate(baseEntry.record, random), label })
      duplicates++
      if (random() < 0.2) {
        entries.push({ record: corruptDuplicate(baseEntry.record, random), label })
        duplicates++
      }
    }
  })
  shuffle(random, entries)
  const prefix = options.idPrefix ?? 'r'
  const truth = new Map<string, string>()
  const items = entries.map((entry, k) => {
    const id = `${prefix}${k}`
    truth.set(id, entry.label)
    return { id, record: entry.record }
  })
  return { items, truth, duplicates, lookalikes }
}
