import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ToolList } from '../src/http/schemas/appraisal.ts'
import { listTools } from '../src/services/appraisal.ts'

const appraisalRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/appraisal/tools', {
    schema: { tags: ['risk of bias'], summary: 'The risk-of-bias tools as data: domains, signalling questions, answers, applicability rules, judgement scales', response: { 200: ToolList } }
  }, async () => listTools())
}

export default appraisalRoutes
