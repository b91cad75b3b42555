/**
 * Every background task type, declared once: its name (the key), the TypeBox
 * schema of its payload, and its handler, whose return value is the task's
 * result. `TaskService.submit` takes a payload of the type's schema, and
 * `executeTask` checks the stored payload against it before the handler runs
 * (a task whose payload does not match fails with a message naming the
 * mismatch), so handlers get typed payloads and never cast. Both job engines
 * (in-process and BullMQ workers) run tasks through this one table.
 *
 * To add a task type: write its handler `(ctx: JobContext, payload) =>
 * Promise<Result>` in src/jobs/, its payload schema next to it, and add one
 * line below.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { atnScore, AtnScorePayload } from '../jobs/atn-score.ts'
import { deduplicate } from '../jobs/deduplicate.ts'
import { chaseCitations, CitationsPayload } from '../jobs/citations.ts'
import { fetchFullTexts, FullTextPayload } from '../jobs/fulltext.ts'
import { bulkFullTexts, extractFullTexts, FullTextBulkPayload, FullTextExtractPayload } from '../jobs/fulltext-extract.ts'
import { FullTextIndexPayload, indexFullTexts } from '../jobs/fulltext-index.ts'
import { IdentifiersPayload, resolveIdentifiers } from '../jobs/identifiers.ts'
import { ImportPayload, importReferences } from '../jobs/import-references.ts'
import { llmConcepts } from '../jobs/llm-concepts.ts'
import { llmExtraction } from '../jobs/llm-extraction.ts'
import { importZotero, ZoteroImportPayload } from '../jobs/import-zotero.ts'
import { llmPull, PullPayload } from '../jobs/llm-pull.ts'
import { llmRob } from '../jobs/llm-rob.ts'
import { llmScreening } from '../jobs/llm-screening.ts'
import { llmSynthesis } from '../jobs/llm-synthesis.ts'
import { screeningTrain, TrainPayload } from '../jobs/screening-train.ts'
import { ReportPayload, reportBundleTask, reportDocxTask } from '../jobs/report.ts'
import { runSearch } from '../jobs/search.ts'
import { screeningSimulation, SimulationPayload } from '../jobs/simulation.ts'
import { LlmExtractionPayload } from '../services/extraction-llm.ts'
import { LlmRobPayload } from '../services/appraisal-llm.ts'
import { LlmConceptsPayload } from '../services/llm-concepts.ts'
import { LlmScreeningPayload } from '../services/screening-llm.ts'
import { SearchPayload } from '../services/search.ts'
import { LlmSynthesisPayload } from '../services/synthesis.ts'
import type { JobContext } from './execute.ts'

export interface TaskDefinition<P extends TSchema = TSchema, R = unknown> {
  /** What the task's stored payload must be. */
  payload: P
  /** Runs the task with its checked payload; the result is stored as the task's result. */
  run: (ctx: JobContext, payload: Static<P>) => Promise<R>
}

/** A task type's definition, with the payload type inferred from the schema. */
function task<P extends TSchema, R>(payload: P, run: (ctx: JobContext, payload: Static<P>) => Promise<R>): TaskDefinition<P, R> {
  return { payload, run }
}

export const TASKS = {
  'import-references': task(ImportPayload, importReferences),
  deduplicate: task(Type.Object({}), deduplicate),
  'screening-train': task(TrainPayload, screeningTrain),
  'screening-simulation': task(SimulationPayload, screeningSimulation),
  'llm-screening': task(LlmScreeningPayload, llmScreening),
  'llm-pull': task(PullPayload, llmPull),
  'llm-extraction': task(LlmExtractionPayload, llmExtraction),
  'llm-rob': task(LlmRobPayload, llmRob),
  search: task(SearchPayload, runSearch),
  identifiers: task(IdentifiersPayload, resolveIdentifiers),
  citations: task(CitationsPayload, chaseCitations),
  fulltext: task(FullTextPayload, fetchFullTexts),
  'atn-score': task(AtnScorePayload, atnScore),
  'fulltext-extract': task(FullTextExtractPayload, extractFullTexts),
  'fulltext-bulk': task(FullTextBulkPayload, bulkFullTexts),
  'fulltext-index': task(FullTextIndexPayload, indexFullTexts),
  'import-zotero': task(ZoteroImportPayload, importZotero),
  'llm-synthesis': task(LlmSynthesisPayload, llmSynthesis),
  'llm-concepts': task(LlmConceptsPayload, llmConcepts),
  'report-docx': task(ReportPayload, reportDocxTask),
  'report-bundle': task(ReportPayload, reportBundleTask)
}

export type TaskType = keyof typeof TASKS
export type TaskPayload<T extends TaskType> = Static<(typeof TASKS)[T]['payload']>
export type TaskResult<T extends TaskType> = Awaited<ReturnType<(typeof TASKS)[T]['run']>>

/**
 * What the runner looks task types up in (TASKS; tests may add types of their own). A handler
 * takes the payload its schema describes: the runner passes it only once the schema has passed.
 */
export type TaskRegistry = Readonly<Record<string, { payload: TSchema; run: (ctx: JobContext, payload: never) => Promise<unknown> }>>
