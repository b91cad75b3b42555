import t from 'tap'
import { Value } from '@sinclair/typebox/value'
import { pageWindow } from '../../src/http/schemas/common.ts'
import { ScreeningSettingsPatch } from '../../src/http/schemas/screening.ts'
import { openapiTransform } from '../../src/http/openapi.ts'
import { readScreeningSettings } from '../../src/services/screening-settings.ts'
import type { RouteOptions } from 'fastify'

t.test('screening settings: one schema gives the defaults, the stored reading and the patch', async (t) => {
  const defaults = { reviewersPerRecord: 1, blind: false, exclusionReasons: [], resolverIds: [], classifier: 'ensemble', highlightInclude: [], highlightExclude: [] }
  t.same(readScreeningSettings(undefined), defaults)
  t.same(readScreeningSettings('junk'), defaults)
  readScreeningSettings(undefined).exclusionReasons.push('changed')
  t.same(readScreeningSettings({}).exclusionReasons, [], 'the defaults are copies')
  const id = '0b7d4b8e-2c3f-4d6e-9a1b-2c3d4e5f6a7b'
  t.same(readScreeningSettings({ reviewersPerRecord: 2, blind: true, exclusionReasons: ['wrong population'], resolverIds: [id], classifier: 'nb', other: 1 }),
    { reviewersPerRecord: 2, blind: true, exclusionReasons: ['wrong population'], resolverIds: [id], classifier: 'nb', highlightInclude: [], highlightExclude: [] }, 'stored values are kept, unknown keys dropped')
  t.same(readScreeningSettings({ reviewersPerRecord: 3, blind: 'yes', resolverIds: ['not-an-id'], classifier: 'bayes' }), defaults, 'malformed values take their default')
  const patch = { blind: true }
  Value.Default(ScreeningSettingsPatch, patch)
  t.same(patch, { blind: true }, 'a patch gets no defaults: it changes only what it names')
  t.notOk(Value.Check(ScreeningSettingsPatch, {}), 'an empty patch is refused')
})

t.test('pagination window: page/pageSize, or the older limit/offset', async (t) => {
  t.same(pageWindow({ page: 3, pageSize: 20 }), { limit: 20, offset: 40 })
  t.same(pageWindow({ page: 1, pageSize: 20, limit: 5 }), { limit: 5, offset: 0 })
  t.same(pageWindow({ page: 2, pageSize: 20, limit: 5 }), { limit: 5, offset: 5 })
  t.same(pageWindow({ page: 1, pageSize: 20, offset: 7 }), { limit: 20, offset: 7 })
})

t.test('OpenAPI transform: defaulted query parameters are optional, documented bodies and WebSockets shown', async (t) => {
  const querystring = { type: 'object', properties: { page: { type: 'integer', default: 1 }, stage: { type: 'string' } }, required: ['page', 'stage'] }
  const route = { url: '/x', method: 'GET', handler: () => {}, config: { openapiBody: { type: 'object' } }, websocket: true } as unknown as RouteOptions
  const { schema } = openapiTransform({ schema: { querystring, hide: true }, url: '/x', route })
  t.same((schema.querystring as { required: string[] }).required, ['stage'])
  t.same(querystring.required, ['page', 'stage'], 'the validation schema is untouched')
  t.same(schema.body, { type: 'object' })
  t.equal(schema.hide, false)
})
