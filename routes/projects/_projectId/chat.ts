import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { NoContent, ProjectParams } from '../../../src/http/schemas/common.ts'
import {
  Conversation, ConversationBody, ConversationMessages, ConversationParams, Exchange, IndexBody, IndexStatus, MessageBody,
  RagSettingsBody, RagSettingsView, Retrieval, RetrieveQuery
} from '../../../src/http/schemas/chat.ts'
import { Task } from '../../../src/http/schemas/tasks.ts'
import { queueFullTextIndex } from '../../../src/services/project-tasks.ts'
import {
  createConversation, deleteConversation, indexStatus, listConversations, listMessages, postMessage, ragSettingsView, readRagSettings, retrieve, updateRagSettings
} from '../../../src/services/rag.ts'

/**
 * Chat over the full texts: retrieval settings, the chunk index (task
 * "fulltext-index"), hybrid retrieval, and each member's conversations.
 */
const chatRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { db, config } = fastify
  const tags = ['chat']

  fastify.get('/chat/settings', {
    schema: { tags, summary: 'Chunking, embedding and answering models, top-k of the project\'s chat', params: ProjectParams, response: { 200: RagSettingsView } }
  }, async (request) => ragSettingsView(await readRagSettings(db, config, request.project.id)))

  fastify.put('/chat/settings', {
    config: { role: 'owner' },
    schema: {
      tags, summary: 'Change the chat settings (null: back to the configuration\'s default)',
      description: 'A change of chunking or embedding model makes the full texts pending: POST …/fulltext/index cuts or embeds them again.',
      params: ProjectParams, body: RagSettingsBody, response: { 200: RagSettingsView }
    }
  }, async (request) => updateRagSettings(db, config, request.project.id, request.body))

  fastify.get('/fulltext/index', {
    schema: { tags, summary: 'How far the full texts are indexed for chat', params: ProjectParams, response: { 200: IndexStatus } }
  }, async (request) => indexStatus(db, config, request.project.id))

  fastify.post('/fulltext/index', {
    config: { role: 'reviewer' },
    schema: {
      tags, summary: 'Index the full texts for chat (background task "fulltext-index"): chunks and embeddings of those not indexed as the settings want',
      params: ProjectParams, body: IndexBody, response: { 202: Task }
    },
    preValidation: async (request) => { request.body ??= {} }
  }, async (request, reply) => reply.status(202).send(await queueFullTextIndex(fastify, request.project.id, request.user.id, request.body)))

  fastify.get('/fulltext/retrieve', {
    schema: {
      tags, summary: 'The passages of the full texts that best match a question (full-text ranking fused with embedding similarity)',
      params: ProjectParams, querystring: RetrieveQuery, response: { 200: Retrieval }
    }
  }, async (request) => retrieve(fastify, request.project.id, request.query.q, { topK: request.query.topK }))

  fastify.get('/chat/conversations', {
    schema: { tags, summary: 'Your conversations in the project, most recently active first', params: ProjectParams, response: { 200: Type.Array(Conversation) } }
  }, async (request) => listConversations(db, request.project.id, request.user.id))

  fastify.post('/chat/conversations', {
    config: { role: 'reviewer' },
    schema: { tags, summary: 'Start a conversation', params: ProjectParams, body: ConversationBody, response: { 201: Conversation } },
    preValidation: async (request) => { request.body ??= {} }
  }, async (request, reply) => reply.status(201).send(await createConversation(db, request.project.id, request.user.id, request.body.title)))

  fastify.get('/chat/conversations/:conversationId/messages', {
    schema: { tags, summary: 'A conversation\'s messages, oldest first, answers with their cited passages', params: ConversationParams, response: { 200: ConversationMessages } }
  }, async (request) => listMessages(db, request.project.id, request.user.id, request.params.conversationId))

  fastify.post('/chat/conversations/:conversationId/messages', {
    config: { role: 'reviewer' },
    schema: {
      tags, summary: 'Ask a question: the answer is generated from the retrieved passages and returned with its verified citations',
      description: 'Synchronous, within RAG_CHAT_TIMEOUT_MS (502 past it or when the model fails; nothing is stored then). The question and the answer are stored together.',
      params: ConversationParams, body: MessageBody, response: { 201: Exchange }
    }
  }, async (request, reply) => reply.status(201).send(await postMessage(fastify, request.project.id, request.user.id, request.params.conversationId, request.body)))

  fastify.delete('/chat/conversations/:conversationId', {
    config: { role: 'reviewer' },
    schema: { tags, summary: 'Delete a conversation and its messages', params: ConversationParams, response: { 204: NoContent } }
  }, async (request, reply) => {
    await deleteConversation(db, request.project.id, request.user.id, request.params.conversationId)
    return reply.status(204).send()
  })
}

export default chatRoutes
