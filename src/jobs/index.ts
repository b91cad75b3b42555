import type { JobHandlers } from '../tasks/execute.ts'
import { deduplicate } from './deduplicate.ts'
import { importReferences } from './import-references.ts'
import { runSearch } from './search.ts'
import { chaseCitations } from './citations.ts'
import { resolveIdentifiers } from './identifiers.ts'
import { fetchFullTexts } from './fulltext.ts'

/** Every background task type and its handler. */
export const jobHandlers: JobHandlers = {
  'import-references': importReferences,
  deduplicate,
  search: runSearch,
  identifiers: resolveIdentifiers,
  citations: chaseCitations,
  fulltext: fetchFullTexts
}
