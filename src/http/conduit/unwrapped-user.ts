import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * A preValidation hook for PUT /api/user: a JSON object with no `user` key is read as the user object
 * itself. vue-realworld-example-app sends its settings unwrapped (its own open bug), and would otherwise
 * get 422 and a Settings page that silently does nothing. A body with a `user` key (even `null`) and
 * anything that is not an object are left for the schema to judge as before.
 */
export function wrapUnwrappedUser(request: FastifyRequest, _reply: FastifyReply, done: () => void): void {
  const { body } = request;
  if (typeof body === 'object' && body !== null && !Array.isArray(body) && !Object.hasOwn(body, 'user')) {
    request.body = { user: body };
  }
  done();
}
