/**
 * Route schemas compiled on a route's first use instead of at start-up.
 *
 * Fastify compiles every route's validators (Ajv) and response serializers
 * (fast-json-stringify) while booting: with ~300 routes that was about two
 * thirds of the CPU from process start to ready (over a second), spent again by
 * every process and every test app, mostly for routes a given process never
 * serves. Here the same compilers, with the same options, run when a request
 * first needs a schema; the result is kept, so only that first request pays
 * (a few milliseconds). Every route is exercised by the OpenAPI-driven tests,
 * so a schema that does not compile still fails the suite.
 */
import AjvCompiler from '@fastify/ajv-compiler'
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler'
import type { FastifyServerOptions } from 'fastify'

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>
/** What Fastify hands a compiler: one schema of one route (a request part, or a response status). */
type RouteSchema = { schema: unknown; method: string; url: string }
type Validator = ((data: unknown, context?: unknown) => unknown) & { errors?: unknown; schemaEnv?: unknown }
/** The shape both default factories have at run time (their published types are unions of modes). */
type Factory<T> = (externalSchemas: unknown, options?: unknown) => (route: RouteSchema) => T

/**
 * A validator that compiles on its first call. Fastify reads `errors` after a
 * failed call and passes Ajv's parent data (needed to coerce a root value)
 * when the function has a `schemaEnv`: both are forwarded to the compiled one.
 */
function lazyValidator(compile: () => Validator): Validator {
  let compiled: Validator | undefined
  const ensure = () => (compiled ??= compile())
  const validate = function (this: unknown, data: unknown, context?: unknown) {
    return ensure().call(this, data, context)
  }
  Object.defineProperties(validate, {
    errors: { get: () => compiled?.errors ?? null },
    schemaEnv: { get: () => ensure().schemaEnv }
  })
  return validate
}

export function lazySchemaCompilers(): CompilersFactory {
  const validators = AjvCompiler() as unknown as Factory<Validator>
  const serializers = SerializerSelector() as unknown as Factory<(data: unknown) => string>
  const factory = {
    buildValidator: (externalSchemas: unknown, options?: unknown) => {
      const compile = validators(externalSchemas, options)
      return (route: RouteSchema) => lazyValidator(() => compile(route))
    },
    buildSerializer: (externalSchemas: unknown, options?: unknown) => {
      const compile = serializers(externalSchemas, options)
      return (route: RouteSchema) => {
        let serialize: ((data: unknown) => string) | undefined
        return (data: unknown) => (serialize ??= compile(route))(data)
      }
    }
  }
  return factory as unknown as CompilersFactory
}
