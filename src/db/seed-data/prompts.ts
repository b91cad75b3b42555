import { DEFAULT_EXTRACTION_TEMPLATE, DEFAULT_SCREENING_TEMPLATE } from '../../llm/screening-prompt.ts'

/** Default prompt templates seeded by init-db; the screening and extraction runs fill their placeholders. */
export const DEFAULT_PROMPT_TEMPLATES: Array<{ key: string; kind: string; name: string; template: string }> = [
  { key: 'screening-default', kind: 'screening', name: 'Title/abstract screening (default)', template: DEFAULT_SCREENING_TEMPLATE },
  { key: 'extraction-default', kind: 'extraction', name: 'Data extraction into a grid (default)', template: DEFAULT_EXTRACTION_TEMPLATE }
]
