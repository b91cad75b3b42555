import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

/** The OpenAPI document generated from the route schemas. */
const docsRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/docs', { schema: { hide: true } }, async () => fastify.swagger())
  fastify.get('/docs/openapi.json', { schema: { hide: true } }, async () => fastify.swagger())
  fastify.get('/docs/json', { schema: { hide: true } }, async () => fastify.swagger())
}

export default docsRoutes
