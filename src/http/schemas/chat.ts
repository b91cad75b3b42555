import { Type, type Static } from '@sinclair/typebox'
import { Nullable, Uuid } from './common.ts'

const ChunkUnit = Type.Union([Type.Literal('chars'), Type.Literal('words')])

export const RagSettingsView = Type.Object({
  embeddingModel: Nullable(Type.String({ description: 'null: no embeddings, retrieval is lexical only' })),
  chatModel: Nullable(Type.String()),
  chunkUnit: ChunkUnit, chunkSize: Type.Integer(), chunkOverlap: Type.Integer(), topK: Type.Integer(),
  overrides: Type.Object({
    embeddingModel: Nullable(Type.String()), chatModel: Nullable(Type.String()), chunkUnit: Nullable(Type.String()),
    chunkSize: Nullable(Type.Integer()), chunkOverlap: Nullable(Type.Integer()), topK: Nullable(Type.Integer())
  }, { description: 'the project\'s own values; null: the configuration\'s RAG_* default' })
})

export const RagSettingsBody = Type.Object({
  embeddingModel: Type.Optional(Nullable(Type.String({ maxLength: 200, description: '"" : no embeddings; null: RAG_EMBEDDING_MODEL' }))),
  chatModel: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  chunkUnit: Type.Optional(Nullable(ChunkUnit)),
  chunkSize: Type.Optional(Nullable(Type.Integer({ minimum: 20, maximum: 20000 }))),
  chunkOverlap: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 10000 }))),
  topK: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 50 })))
}, { additionalProperties: false })
export type RagSettingsBody = Static<typeof RagSettingsBody>

export const IndexStatus = Type.Object({
  files: Type.Integer({ description: 'extracted full texts linked to an article' }),
  indexed: Type.Integer(), pending: Type.Integer(), errors: Type.Integer(),
  chunks: Type.Integer(), embeddedChunks: Type.Integer(),
  embeddingModel: Nullable(Type.String()), chunking: Type.String(),
  vectorIndex: Type.Union([Type.Literal('pgvector-hnsw'), Type.Literal('exact')])
})

export const IndexBody = Type.Object({
  force: Type.Optional(Type.Boolean({ description: 'cut and embed again every full text (default: only those not indexed as the settings want)' }))
}, { additionalProperties: false })

export const RetrieveQuery = Type.Object({
  q: Type.String({ minLength: 1, maxLength: 2000, examples: ['How was the working alliance measured?'] }),
  topK: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, description: 'default: the project\'s topK' }))
})

export const RetrievedChunk = Type.Object({
  chunkId: Type.Integer(), articleId: Type.String(), title: Type.String(), fileId: Type.String(), page: Type.Integer(), text: Type.String(),
  lexicalRank: Nullable(Type.Integer()), vectorRank: Nullable(Type.Integer()), similarity: Nullable(Type.Number()),
  score: Type.Number({ description: 'reciprocal rank fusion: Σ 1/(60 + rank)' })
})

export const Retrieval = Type.Object({
  mode: Type.Union([Type.Literal('hybrid'), Type.Literal('lexical')]),
  embeddingModel: Nullable(Type.String()),
  vectorError: Type.Optional(Type.String()),
  chunks: Type.Array(RetrievedChunk)
})

export const Conversation = Type.Object({
  id: Type.String(), projectId: Type.String(), userId: Type.String(), title: Type.String(), messageCount: Type.Integer(),
  createdAt: Type.String(), updatedAt: Type.String()
})

export const ConversationBody = Type.Object({ title: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false })
export const ConversationParams = Type.Object({ projectId: Uuid, conversationId: Uuid })

export const Citation = Type.Object({
  chunkId: Type.Integer(), articleId: Type.String(), fileId: Type.String(), title: Type.String(), page: Type.Integer(), quote: Type.String()
})

export const ChatMessage = Type.Object({
  id: Type.String(), conversationId: Type.String(),
  role: Type.Union([Type.Literal('user'), Type.Literal('assistant')]),
  content: Type.String(),
  citations: Type.Array(Citation, { description: 'the passages the answer cites, each among those retrieved for it' }),
  invalidCitations: Type.Array(Type.Integer(), { description: 'ids the answer cited that were not retrieved passages: dropped' }),
  retrieved: Type.Array(Type.Object({
    chunkId: Type.Integer(), articleId: Type.String(), page: Type.Integer(), lexicalRank: Nullable(Type.Integer()), vectorRank: Nullable(Type.Integer()), score: Type.Number()
  })),
  generation: Nullable(Type.Record(Type.String(), Type.Unknown(), { description: 'model, digest, promptVersion, options, retrieval, tokens, durationMs' })),
  createdAt: Type.String()
})

export const ConversationMessages = Type.Object({ conversation: Conversation, messages: Type.Array(ChatMessage) })

export const MessageBody = Type.Object({
  content: Type.String({ minLength: 1, maxLength: 4000, pattern: '\\S', description: 'the question' }),
  model: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'default: the project\'s chatModel or RAG_CHAT_MODEL' })),
  topK: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 }))
}, { additionalProperties: false })

export const Exchange = Type.Object({ question: ChatMessage, answer: ChatMessage })
