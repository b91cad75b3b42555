/** Reports: bibliography and workbook queries. */
import { Type, type Static } from '@sinclair/typebox'
import { BIBLIOGRAPHY_LOCALES, BIBLIOGRAPHY_STYLES, type BibliographyLocale, type BibliographyStyle } from '../../reporting/bibliography.ts'
import { REPORT_SECTIONS, type ReportSection } from '../../reporting/docx.ts'
import type { BibliographyFormat, BibliographySet } from '../../services/reports.ts'

/** A string among `values`: a wrong value gets a 400 naming the field and listing the values. */
const OneOf = <T extends string>(values: readonly T[], description: string, defaultValue?: T) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], description, ...(defaultValue ? { default: defaultValue } : {}) })

export const BibliographyQuery = Type.Object({
  style: OneOf(Object.keys(BIBLIOGRAPHY_STYLES) as BibliographyStyle[], 'citation style: APA 7, Vancouver (NLM), Harvard (Cite Them Right), Chicago author-date, IEEE', 'apa'),
  format: OneOf<BibliographyFormat>(['text', 'html', 'rtf', 'docx', 'bibtex', 'ris'], 'text, HTML, RTF and DOCX are formatted in the style; BibTeX and RIS are the reference exports', 'text'),
  set: OneOf<BibliographySet>(['included', 'screened', 'all'], 'included: included at full text; screened: decided at title/abstract; all: every record but duplicates', 'included'),
  locale: Type.Optional(OneOf<BibliographyLocale>(BIBLIOGRAPHY_LOCALES, 'language of the terms and dates (default: the style\'s)'))
}, { additionalProperties: false })
export type BibliographyQuery = Static<typeof BibliographyQuery>

const reportOptions = {
  style: OneOf(Object.keys(BIBLIOGRAPHY_STYLES) as BibliographyStyle[], 'citation style of the references', 'apa'),
  language: OneOf<'en' | 'fr'>(['en', 'fr'], 'language of the headings (and of the references\' terms: fr-FR)', 'en')
}

/** Which report to build, in which style and language, with which sections. */
export const ReportRequest = Type.Object({
  kind: OneOf<'docx' | 'bundle'>(['docx', 'bundle'], 'docx: the report document; bundle: a ZIP of the report, figures, tables, bibliography and checklists'),
  ...reportOptions,
  sections: Type.Optional(Type.Array(OneOf<ReportSection>(REPORT_SECTIONS, 'a section of the report'), { uniqueItems: true, minItems: 1, description: 'default: every section' }))
}, { additionalProperties: false })
export type ReportRequest = Static<typeof ReportRequest>

export const ReportDocxQuery = Type.Object({
  ...reportOptions,
  sections: Type.Optional(Type.String({ pattern: `^(${REPORT_SECTIONS.join('|')})(,(${REPORT_SECTIONS.join('|')}))*$`, description: `comma-separated sections among ${REPORT_SECTIONS.join(', ')} (default: all)` }))
}, { additionalProperties: false })
export type ReportDocxQuery = Static<typeof ReportDocxQuery>

export const ReportTaskParams = Type.Object({ projectId: Type.String({ format: 'uuid' }), taskId: Type.String({ format: 'uuid' }) })
