import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * A preValidation hook for routes whose body may be left out (a bodiless POST or DELETE): no body means
 * every field left out, which the schema and the domain then judge, not a malformed request.
 */
export function absentBodyIsEmpty(request: FastifyRequest, _reply: FastifyReply, done: () => void): void {
  // only a missing body: a JSON `null` was sent, and the schema refuses it
  if (request.body === undefined) request.body = {};
  done();
}

/**
 * The route schema's mark for such a body in the API description: @fastify/swagger copies `x-` keys onto
 * the operation, where ops/openapi.ts turns it into `required: false`.
 */
export const bodyOptional = 'x-body-optional' as const;
