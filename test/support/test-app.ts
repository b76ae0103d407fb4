import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { systemClock, type Clock } from '../../src/clock.ts';
import { loadConfig, type Config } from '../../src/config/config.ts';
import { createLogger } from '../../src/http/logger.ts';
import type { HttpServer } from '../../src/http/server.ts';
import { openDatabase, type Database } from '../../src/store/database.ts';
import { migrateToLatest } from '../../src/store/migrator.ts';
import type { Worker } from '../../src/worker.ts';
import { createTestDatabase, type DialectName } from './databases.ts';
import { poll } from './poll.ts';

/**
 * Settings every test app starts from: cheap argon2 (one test pins the real defaults), quiet logs, and
 * per-IP limits no ordinary test reaches, since every inject comes from 127.0.0.1 (the rate-limit tests
 * put the documented defaults back).
 */
export const testEnvironment: Readonly<Record<string, string>> = {
  ARGON2_MEMORY_KIB: '1024',
  ARGON2_ITERATIONS: '1',
  LOGIN_ATTEMPTS_PER_IP: '100000',
  REGISTRATIONS_PER_IP: '100000',
  LOG_LEVEL: 'info',
  PUBLIC_URL: 'http://gatehouse.test',
};

export interface TestApp {
  app: HttpServer;
  database: Database;
  config: Config;
  clock: Clock;
  /** the SECRET_KEY the app runs with, for a second instance or the CLI's functions on the same database */
  secretKey: string;
  /** every JSON log line the app wrote */
  logs: string[];
  /** the background workers it runs, as `serve` runs them (restarting one runs a round at once) */
  workers: readonly Worker[];
  close(): Promise<void>;
}

/** A migrated, empty database of the given kind and the app over it, ready for `inject`. */
export async function startTestApp(
  dialect: DialectName,
  options: { env?: Record<string, string>; clock?: Clock } = {},
): Promise<TestApp> {
  const testDatabase = await createTestDatabase(dialect);
  const config = loadConfig({ ...testEnvironment, DATABASE_URL: testDatabase.url, ...options.env });
  const database = openDatabase({
    url: config.databaseUrl,
    poolSize: config.databasePoolSize,
    connectTimeout: config.databaseConnectTimeout,
    statementTimeout: config.databaseStatementTimeout,
    queryTimeout: config.databaseQueryTimeout,
  });
  await migrateToLatest(database);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  const clock = options.clock ?? systemClock;
  const secretKey = randomBytes(32).toString('base64url');
  const { app, workers } = await buildApp({
    config,
    database,
    secretKey,
    logger: createLogger(config.logLevel, sink),
    clock,
  });
  // as a server is before it listens: the onReady hooks (reading the signing keys) have run; then its
  // workers start, as `serve` starts them
  await app.ready();
  for (const worker of workers) worker.start();
  // on PostgreSQL the session cache is trusted only once other instances' changes are heard
  if (dialect === 'postgres') {
    const listening = () => logs.some((line) => line.includes('listening for other instances'));
    await poll(() => Promise.resolve(listening()), Boolean, 5_000);
    if (!listening()) throw new Error('the change listener did not start listening');
  }
  return {
    app,
    database,
    config,
    clock,
    secretKey,
    logs,
    workers,
    async close() {
      await app.close();
      await database.close();
      await testDatabase.drop();
    },
  };
}

export interface JsonResponse {
  status: number;
  headers: LightMyRequestResponse['headers'];
  body: unknown;
  text: string;
}

/** `Authorization: Bearer <token>`, as every client but a Conduit one sends it. */
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** One request through Fastify's inject; the body parsed when it is JSON. */
export async function request(
  app: HttpServer,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS',
  url: string,
  options: { body?: unknown; token?: string; headers?: Record<string, string>; remoteAddress?: string } = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Token ${options.token}`;
  if (options.body !== undefined) headers['content-type'] ??= 'application/json';
  const response = await app.inject({
    method,
    url,
    headers,
    ...(options.remoteAddress === undefined ? {} : { remoteAddress: options.remoteAddress }),
    ...(options.body === undefined
      ? {}
      : { payload: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
  });
  const isJson = String(response.headers['content-type']).startsWith('application/json');
  return {
    status: response.statusCode,
    headers: response.headers,
    body: isJson ? response.json<unknown>() : undefined,
    text: response.body,
  };
}

let counter = 0;

/** A registration no other test in the run uses. */
export function newUser(prefix = 'user') {
  counter += 1;
  const username = `${prefix}${counter}${randomBytes(3).toString('hex')}`;
  return { username, email: `${username}@example.com`, password: 'a-long-passphrase-42' };
}

/** Registers a fresh user and returns its details and Conduit token. */
export async function registerUser(app: HttpServer, prefix?: string) {
  const user = newUser(prefix);
  const response = await request(app, 'POST', '/api/users', { body: { user } });
  if (response.status !== 201) throw new Error(`registration failed: ${response.status} ${response.text}`);
  const { token } = (response.body as { user: { token: string } }).user;
  return { ...user, token };
}
