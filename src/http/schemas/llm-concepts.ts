import { Type, type Static } from '@sinclair/typebox'
import { Nullable } from './common.ts'

export const LlmConceptRequest = Type.Object({
  model: Type.String({ minLength: 1, maxLength: 200, description: 'an Ollama model installed on the server, e.g. "llama3:8b"' }),
  temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2, description: '0 unless said' })),
  seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, description: '42 unless said' })),
  maxConcepts: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, description: 'most concepts asked for per study (12 unless said)' })),
  fullTextChars: Type.Optional(Type.Integer({
    minimum: 0, maximum: 20_000, description: 'characters of full-text passages sent with a study whose full text is extracted (3000 unless said; 0: title, abstract and extracted data only)'
  }))
}, { additionalProperties: false })
export type LlmConceptRequestValue = Static<typeof LlmConceptRequest>

const Quote = Type.Object({
  text: Type.String(),
  found: Type.Boolean({ description: 'the quote occurs in the text sent (case, spacing and hyphenation folded)' }),
  page: Type.Optional(Type.Integer({ description: '0: title and abstract; -1: extracted data; 1…: full-text page' }))
})
const StudyConcept = Type.Object({
  key: Type.String({ description: 'comparison key: lower case, accents removed, last word singular' }),
  label: Type.String(), quotes: Type.Array(Quote),
  flagged: Type.Boolean({ description: 'no quote occurs in the study\'s text: left out of the graph' })
})

export const LlmConceptRun = Type.Object({
  id: Type.String(), model: Type.String(), modelDigest: Nullable(Type.String()), promptVersion: Type.String(),
  options: Type.Record(Type.String(), Type.Unknown()),
  taskId: Nullable(Type.String()), createdBy: Nullable(Type.String()), createdAt: Type.String(),
  studies: Type.Array(Type.Object({
    articleId: Type.String(), key: Type.String({ description: 'citation key' }), title: Type.String(),
    text: Type.Union([Type.Literal('full_text'), Type.Literal('abstract')], { description: 'full_text: full-text passages were sent too' }),
    concepts: Type.Array(StudyConcept)
  })),
  failures: Type.Array(Type.Object({ articleId: Type.String(), key: Type.String(), kind: Type.String(), message: Type.String() }), { description: 'studies without concepts, and why' }),
  concepts: Type.Array(Type.Object({
    key: Type.String(), label: Type.String(),
    flaggedIn: Type.Integer({ description: 'studies where the concept is flagged' }),
    studies: Type.Array(Type.Object({ articleId: Type.String(), key: Type.String(), label: Type.String(), quotes: Type.Array(Quote), flagged: Type.Boolean() }))
  }), { description: 'every concept with the studies and quotes it came from, most studies first' })
})
export type LlmConceptRunValue = Static<typeof LlmConceptRun>
