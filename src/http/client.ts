import type { FastifyRequest } from 'fastify';
import type { ClientInfo } from '../sessions/session-service.ts';

/** Who is on the other end, as a session records it: the user agent and the (proxy-aware) address. */
export function clientOf(request: FastifyRequest): ClientInfo {
  return { userAgent: request.headers['user-agent'], ip: request.ip };
}
