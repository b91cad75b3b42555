import type { JobHandlers } from '../tasks/execute.ts'
import { deduplicate } from './deduplicate.ts'
import { importReferences } from './import-references.ts'
import { llmPull } from './llm-pull.ts'
import { llmScreening } from './llm-screening.ts'
import { screeningTrain } from './screening-train.ts'
import { screeningSimulation } from './simulation.ts'
import { runSearch } from './search.ts'
import { chaseCitations } from './citations.ts'
import { resolveIdentifiers } from './identifiers.ts'
import { fetchFullTexts } from './fulltext.ts'

/** Every background task type and its handler. */
export const jobHandlers: JobHandlers = {
  'import-references': importReferences,
  deduplicate,
  'screening-train': screeningTrain,
  'screening-simulation': screeningSimulation,
  'llm-screening': llmScreening,
  'llm-pull': llmPull,
  search: runSearch,
  identifiers: resolveIdentifiers,
  citations: chaseCitations,
  fulltext: fetchFullTexts
}
