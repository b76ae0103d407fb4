import assert from 'node:assert/strict';
import type { HttpServer } from '../../src/http/server.ts';
import { bearer, newUser, request, type JsonResponse } from '../support/test-app.ts';

/** The djoser and simplejwt bodies, word for word, as a DRF client reads them. */
export interface UserBody {
  id: string;
  email: string;
  username: string;
  first_name: string;
  last_name: string;
}

/** The names of a user object for an account that has none: Django's "" for a blank CharField. */
export const noNames = { first_name: '', last_name: '' };

export interface TokenPairBody {
  refresh: string;
  access: string;
}

const challenge = 'Bearer realm="api"';
export const notFound = { detail: 'Not found.' };
export const notAuthenticated = {
  detail: 'Authentication credentials were not provided.',
  code: 'not_authenticated',
};
export const noActiveAccount = {
  detail: 'No active account found with the given credentials',
  code: 'no_active_account',
};
export const tokenNotValid = { detail: 'Token is invalid or expired', code: 'token_not_valid' };
/** what simplejwt's JWTAuthentication answers for a bad access token on an authenticated view */
export const givenTokenNotValid = {
  detail: 'Given token not valid for any token type',
  code: 'token_not_valid',
  messages: [{ token_class: 'AccessToken', token_type: 'access', message: 'Token is invalid or expired' }],
};

export { bearer };

/** Asserts a 401 in simplejwt's form: the body, and the challenge DRF sends with it. */
export function assertUnauthorized(response: JsonResponse, body: unknown): void {
  assert.equal(response.status, 401, response.text);
  assert.deepEqual(response.body, body);
  assert.equal(response.headers['www-authenticate'], challenge);
}

/** Registers a fresh user through POST /auth/users/. */
export async function registerDjoserUser(app: HttpServer, prefix = 'djoser') {
  const user = newUser(prefix);
  const response = await request(app, 'POST', '/auth/users/', { body: user });
  assert.equal(response.status, 201, response.text);
  return { ...user, id: (response.body as UserBody).id };
}

/** POST /auth/jwt/create/: a new session's pair. */
export async function createTokens(
  app: HttpServer,
  credentials: { email: string; password: string },
): Promise<TokenPairBody> {
  const response = await request(app, 'POST', '/auth/jwt/create/', {
    body: { email: credentials.email, password: credentials.password },
  });
  assert.equal(response.status, 200, response.text);
  return response.body as TokenPairBody;
}

/** GET /auth/users/me/ with a Bearer token. */
export const getMe = (app: HttpServer, access: string) =>
  request(app, 'GET', '/auth/users/me/', { headers: bearer(access) });

/** POST /auth/jwt/refresh/. */
export const refreshTokens = (app: HttpServer, refresh: string) =>
  request(app, 'POST', '/auth/jwt/refresh/', { body: { refresh } });
