import { Type, type Static } from '@sinclair/typebox'
import { Nullable, Uuid } from './common.ts'

export const SynthesisDraftParams = Type.Object({ projectId: Uuid, draftId: Uuid })
const Language = Type.Union([Type.Literal('en'), Type.Literal('fr')], { description: 'language of the drafts' })

export const SynthesisRequest = Type.Object({
  model: Type.String({ minLength: 1, maxLength: 200, description: 'an Ollama model installed on the server, e.g. "llama3:8b"' }),
  language: Type.Optional(Language),
  temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2, description: '0.2 unless said' })),
  seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, description: '42 unless said: with the same model, prompt and seed Ollama answers the same' })),
  maxInputChars: Type.Optional(Type.Integer({ minimum: 1000, maximum: 1_000_000, description: 'above this many characters of study data, each study is summarised first (24,000 unless said)' }))
}, { additionalProperties: false })
export type SynthesisRequestValue = Static<typeof SynthesisRequest>

export const SynthesisDraftSummary = Type.Object({
  id: Type.String(), version: Type.Integer(), language: Language, model: Type.String(), modelDigest: Nullable(Type.String()), promptVersion: Type.String(),
  studies: Type.Integer({ description: 'included studies given to the model' }),
  flags: Type.Object({ uncited: Type.Integer({ description: 'sentences citing no study' }), unknownKeys: Type.Integer({ description: 'sentences citing a key that is not an included study' }) }),
  taskId: Nullable(Type.String()), createdBy: Nullable(Type.String()), createdAt: Type.String()
})
export type SynthesisDraftSummaryValue = Static<typeof SynthesisDraftSummary>

const Sentence = Type.Object({
  text: Type.String(),
  keys: Type.Array(Type.String(), { description: 'keys cited that are included studies' }),
  unknownKeys: Type.Array(Type.String(), { description: 'keys cited that are not included studies (flagged)' }),
  uncited: Type.Boolean({ description: 'a statement citing nothing (flagged)' })
})

export const SynthesisDraft = Type.Object({
  ...SynthesisDraftSummary.properties,
  options: Type.Object({
    temperature: Type.Number(), seed: Type.Integer(), maxInputChars: Type.Integer(),
    strategy: Type.String({ description: '"direct": the studies\' data in each prompt; "summarise-first": each study summarised, the summaries in each prompt' })
  }),
  sections: Type.Array(Type.Object({ name: Type.String({ description: 'synthesis or discussion' }), text: Type.String(), sentences: Type.Array(Sentence) })),
  citationKeys: Type.Record(Type.String(), Type.Object({ articleId: Type.String(), title: Type.String(), year: Nullable(Type.Integer()) }), { description: 'citation key → included article' }),
  input: Type.Object({
    includedAt: Type.String(),
    studies: Type.Array(Type.Unknown(), { description: 'each study exactly as sent: key, article id, metadata, extracted data and where it came from' }),
    summaries: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'summarise-first: key → the model\'s summary' })),
    prompts: Type.Array(Type.Object({ purpose: Type.String(), system: Type.String(), prompt: Type.String() }), { description: 'the prompts sent, in order' })
  })
})
export type SynthesisDraftValue = Static<typeof SynthesisDraft>
