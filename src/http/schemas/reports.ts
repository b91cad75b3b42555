/** Reports: bibliography and workbook queries. */
import { Type, type Static } from '@sinclair/typebox'
import { BIBLIOGRAPHY_LOCALES, BIBLIOGRAPHY_STYLES, type BibliographyLocale, type BibliographyStyle } from '../../reporting/bibliography.ts'
import type { BibliographyFormat, BibliographySet } from '../../services/reports.ts'

/** A string among `values`: a wrong value gets a 400 naming the field and listing the values. */
const OneOf = <T extends string>(values: readonly T[], description: string, defaultValue?: T) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], description, ...(defaultValue ? { default: defaultValue } : {}) })

export const BibliographyQuery = Type.Object({
  style: OneOf(Object.keys(BIBLIOGRAPHY_STYLES) as BibliographyStyle[], 'citation style: APA 7, Vancouver (NLM), Harvard (Cite Them Right), Chicago author-date, IEEE', 'apa'),
  format: OneOf<BibliographyFormat>(['text', 'html', 'rtf', 'bibtex', 'ris'], 'text, HTML and RTF are formatted in the style; BibTeX and RIS are the reference exports', 'text'),
  set: OneOf<BibliographySet>(['included', 'screened', 'all'], 'included: included at full text; screened: decided at title/abstract; all: every record but duplicates', 'included'),
  locale: Type.Optional(OneOf<BibliographyLocale>(BIBLIOGRAPHY_LOCALES, 'language of the terms and dates (default: the style\'s)'))
}, { additionalProperties: false })
export type BibliographyQuery = Static<typeof BibliographyQuery>
