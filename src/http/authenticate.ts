import type { FastifyRequest } from 'fastify';
import { GatehouseError } from '../errors.ts';
import type { Caller, SessionService } from '../sessions/session-service.ts';

// `Token` is the Conduit scheme, `Bearer` everyone else's, and `JWT` the one djoser's documentation sets up
// for simplejwt; all work everywhere. Never a query parameter.
const credentialPattern = /^(?:Token|Bearer|JWT) +([A-Za-z0-9._~+/-]+=*) *$/i;

export interface Authenticator {
  /** The caller, or 401 token_missing / token_invalid. */
  required(request: FastifyRequest): Promise<Caller>;
  /** The caller, or undefined when no credentials were sent; bad credentials are still a 401. */
  optional(request: FastifyRequest): Promise<Caller | undefined>;
}

export function createAuthenticator(sessions: SessionService): Authenticator {
  async function authenticate(header: string): Promise<Caller> {
    const token = credentialPattern.exec(header)?.[1];
    if (token === undefined) throw new GatehouseError('token_invalid', 'unreadable authorization header');
    return sessions.authenticate(token);
  }
  return {
    required(request) {
      const header = request.headers.authorization;
      if (header === undefined || header.trim() === '') {
        return Promise.reject(new GatehouseError('token_missing', 'no credentials'));
      }
      return authenticate(header);
    },
    async optional(request) {
      const header = request.headers.authorization;
      return header === undefined || header.trim() === '' ? undefined : authenticate(header);
    },
  };
}
