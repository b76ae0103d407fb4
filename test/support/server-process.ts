import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

// This file runs compiled, from dist/test/support/; the binary is the real one users start.
const root = fileURLToPath(new URL('../../../', import.meta.url));
export const binary = join(root, 'bin', 'gatehouse.js');

// A start is ~1 s on a quiet machine; on 2 busy cores (a browser and a test runner beside it) it once took
// longer than 15 s. Still bounded, so a server that never listens fails the test.
const startTimeout = 45_000;
const commandTimeout = 40_000;
// SIGTERM must drain and exit within 10 s (the contract); a little more before we call it a failure.
const stopTimeout = 12_000;

// Every process started here is killed when the test file ends, even if a test failed halfway.
const running = new Set<ChildProcess>();
const scratchDirs: string[] = [];
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
});

/** An empty temporary directory, removed when the test process exits. */
export function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-process-'));
  scratchDirs.push(dir);
  return dir;
}

/**
 * The environment a child starts from: nothing inherited but PATH, cheap argon2, a random SECRET_KEY and a
 * DATA_DIR of its own. Keep the result and reuse it: a server and the CLI on one database must share the key.
 */
export function processEnvironment(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_ITERATIONS: '1',
    SECRET_KEY: randomBytes(32).toString('base64url'),
    DATA_DIR: join(scratchDir(), 'data'),
    ...overrides,
  };
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `gatehouse <args>` to its end; stdin gets `input` (or nothing) and is then closed. */
export function runCommand(
  args: readonly string[],
  options: { env: Record<string, string>; input?: string; cwd?: string },
): Promise<CommandResult> {
  const child = spawn(process.execPath, [binary, ...args], {
    env: options.env,
    cwd: options.cwd ?? scratchDir(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  // a command that quits before reading its input closes the pipe under us; that is its business
  child.stdin.on('error', () => {});
  child.stdin.end(options.input ?? '');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gatehouse ${args.join(' ')} did not finish in ${commandTimeout} ms\n${stderr}`));
    }, commandTimeout);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The non-empty lines of a command's output. */
export function linesOf(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  /** the parsed body when it is JSON */
  body: unknown;
  text: string;
}

export interface RequestOptions {
  body?: unknown;
  token?: string;
  headers?: Record<string, string>;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServerProcess {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** every line written so far */
  readonly stdout: readonly string[];
  readonly stderr: readonly string[];
  readonly child: ChildProcess;
  /** One request over a real socket; a body is sent as JSON. */
  request(method: string, path: string, options?: RequestOptions): Promise<HttpResponse>;
  /** The first stdout line, past or future, that satisfies `test`. */
  waitForLine(test: (line: string) => boolean, timeout?: number): Promise<string>;
  /** Resolves when the process has ended. */
  exited(timeout?: number): Promise<Exit>;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<Exit>;
}

/** Starts `gatehouse serve` and resolves once it listens; rejects with its stderr if it ends first. */
export async function startServer(options: {
  env: Record<string, string>;
  cwd?: string;
}): Promise<ServerProcess> {
  const child = spawn(process.execPath, [binary, 'serve'], {
    env: options.env,
    cwd: options.cwd ?? scratchDir(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const stdout: string[] = [];
  const stderr: string[] = [];
  const watchers = new Set<() => void>();
  const notify = () => {
    for (const watcher of watchers) watcher();
  };
  createInterface({ input: child.stdout }).on('line', (line) => {
    stdout.push(line);
    notify();
  });
  createInterface({ input: child.stderr }).on('line', (line) => {
    stderr.push(line);
    notify();
  });
  let exit: Exit | undefined;
  child.once('exit', (code, signal) => {
    exit = { code, signal };
    running.delete(child);
    notify();
  });

  /** Polls `check` on every output line and on exit, until it returns a value or time runs out. */
  function waitFor<T>(check: () => T | undefined, timeout: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        let value: T | undefined;
        try {
          value = check();
        } catch (error) {
          finish();
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        if (value !== undefined) {
          finish();
          resolve(value);
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeout} ms waiting for ${what}\n${stderr.join('\n')}`));
      }, timeout);
      const finish = () => {
        clearTimeout(timer);
        watchers.delete(attempt);
      };
      watchers.add(attempt);
      attempt();
    });
  }

  const exited = (timeout = stopTimeout) => waitFor(() => exit, timeout, 'the process to exit');

  // A server that never listens is killed here: its open pipes would keep this test file alive until the
  // runner's 10-minute limit (seen once on 2 busy cores), where the failure belongs to this one start.
  const port = await waitFor(
    () => {
      for (const line of stdout) {
        const match = /Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(line);
        if (match?.[1] !== undefined) return Number(match[1]);
      }
      if (exit !== undefined) {
        throw new Error(
          `gatehouse serve exited (${String(exit.code)}) before listening:\n${stderr.join('\n')}`,
        );
      }
      return undefined;
    },
    startTimeout,
    'the server to listen',
  ).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    port,
    stdout,
    stderr,
    child,
    request: (method, path, requestOptions) => requestJson(url, method, path, requestOptions),
    waitForLine: (test, timeout = startTimeout) =>
      waitFor(() => stdout.find(test), timeout, 'a matching log line'),
    exited,
    async stop() {
      if (exit !== undefined) return exit;
      child.kill('SIGTERM');
      try {
        return await exited();
      } catch (error) {
        child.kill('SIGKILL');
        throw error;
      }
    },
  };
}

/** One request with fetch; the body parsed when the response says it is JSON. */
export async function requestJson(
  baseUrl: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<HttpResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Token ${options.token}`;
  if (options.body !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(new URL(path, baseUrl), {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  const isJson = (response.headers.get('content-type') ?? '').startsWith('application/json');
  return {
    status: response.status,
    headers: response.headers,
    body: isJson ? (JSON.parse(text) as unknown) : undefined,
    text,
  };
}
