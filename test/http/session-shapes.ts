import type { Database } from '../../src/store/database.ts';
import { bearer, request, type JsonResponse } from '../support/test-app.ts';
import { decodePart } from './forged-tokens.ts';
import type { HttpServer } from '../../src/http/server.ts';

/** The body of POST /api/tokens and /api/tokens/refresh. */
export interface PairBody {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
}

export interface SessionsBody {
  sessions: Array<{
    id: string;
    createdAt: string;
    lastUsedAt: string;
    expiresAt: string;
    userAgent: string | null;
    ip: string | null;
    current: boolean;
  }>;
}

/** The session an access token is bound to, read from its `sid` claim. */
export function sessionIdOf(accessToken: string): string {
  return String(decodePart(accessToken, 1).sid);
}

export const invalidRefresh = { errors: { refresh_token: ['is invalid or expired'] } };

export { bearer };

/** POST /api/tokens; throws unless it answers 200. */
export async function obtainPair(app: HttpServer, email: string, password: string): Promise<PairBody> {
  const response = await request(app, 'POST', '/api/tokens', { body: { email, password } });
  if (response.status !== 200) throw new Error(`token request failed: ${response.status} ${response.text}`);
  return response.body as PairBody;
}

export function refresh(app: HttpServer, refreshToken: unknown): Promise<JsonResponse> {
  return request(app, 'POST', '/api/tokens/refresh', { body: { refresh_token: refreshToken } });
}

/** GET /api/user's status with this access token: 200 while its session lives, 401 after. */
export async function statusWith(app: HttpServer, accessToken: string): Promise<number> {
  return (await request(app, 'GET', '/api/user', { headers: bearer(accessToken) })).status;
}

/** Session rows, revoked or not: the proof that a refused request opened none and ended none. */
export async function sessionRows(database: Database) {
  return database.db.selectFrom('sessions').selectAll().orderBy('id').execute();
}

export async function refreshTokenRows(database: Database, sessionId: string) {
  return database.db.selectFrom('refresh_tokens').selectAll().where('session_id', '=', sessionId).execute();
}
