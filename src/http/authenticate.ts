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

/**
 * The credentials above as OpenAPI security schemes: `Bearer` is what a generated client sends, `Token`
 * what RealWorld clients send (RealWorld's own document names it so); `JWT <jwt>` works too.
 */
export const credentialSchemes = {
  Bearer: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'An access token as `Authorization: Bearer <jwt>` (or `JWT <jwt>`); any dialect.',
  },
  Token: {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description: 'The Conduit form, `Authorization: Token <jwt>`; any dialect.',
  },
} as const;

/** The route schema's `security` where a caller is required: either scheme will do. */
export const callerRequired = [{ Bearer: [] }, { Token: [] }] as const;

/** The route schema's `security` where a caller is optional (`{}`: anonymous); bad credentials are a 401. */
export const callerOptional = [{}, ...callerRequired] as const;
