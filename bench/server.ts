import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/** A real `gatehouse serve` in a child process, on a fresh SQLite database unless told otherwise. */
export interface BenchServer {
  url: string;
  /** the settings it was started with that matter to the figures (no secrets) */
  settings: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

// dist/bench/server.js → the repository's bin/
const cli = fileURLToPath(new URL('../../bin/gatehouse.js', import.meta.url));
const host = '127.0.0.1';
const startTimeout = 30_000;
const stopTimeout = 15_000;

export interface ServerOptions {
  /** a shared PostgreSQL database instead of a SQLite file of its own */
  databaseUrl?: string;
  /** instances on one database must share the key their signing keys are encrypted with */
  secretKey?: string;
  /** settings of the measured variant (SEND_VERIFICATION_EMAIL=false, say) */
  env?: Readonly<Record<string, string>>;
}

/** Starts the server and resolves once /healthz answers. */
export async function startServer(options: ServerOptions = {}): Promise<BenchServer> {
  const directory = await mkdtemp(join(tmpdir(), 'gatehouse-bench-'));
  const port = await findFreePort();
  const settings = {
    NODE_ENV: 'production',
    DATABASE_URL: options.databaseUrl ?? `sqlite:${join(directory, 'bench.db')}`,
    // one issuer for every instance on a shared database, as a deployment behind a balancer has
    PUBLIC_URL: 'http://gatehouse.bench',
    // warn: request logging at info would measure pino writing to a pipe, not the service
    LOG_LEVEL: 'warn',
    // every bench request comes from 127.0.0.1: the per-IP limits stay on, so their counting is measured,
    // but high enough never to refuse
    LOGIN_ATTEMPTS_PER_IP: '1000000',
    REGISTRATIONS_PER_IP: '1000000',
    ...(process.env.UV_THREADPOOL_SIZE === undefined
      ? {}
      : { UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE }),
    ...options.env,
  };
  const child = spawn(process.execPath, [cli, 'serve'], {
    // the temporary directory, so no .env of the working tree is read
    cwd: directory,
    env: {
      PATH: process.env.PATH,
      ...settings,
      HOST: host,
      PORT: String(port),
      DATA_DIR: directory,
      SECRET_KEY: options.secretKey ?? newSecretKey(),
    },
    // the server's own output goes to our stderr, so stdout stays the report
    stdio: ['ignore', 2, 2],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = `http://${host}:${port}`;

  async function stop(): Promise<void> {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeout);
      await exited;
      clearTimeout(timer);
    }
    await rm(directory, { recursive: true, force: true });
  }

  const deadline = Date.now() + startTimeout;
  while (!(await isUp(url))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`gatehouse serve did not come up (exit code ${String(child.exitCode)})`);
    }
    await sleep(100);
  }
  return { url, settings, stop };
}

// hex cannot spell the placeholder words production refuses
export const newSecretKey = () => randomBytes(32).toString('hex');

async function isUp(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/healthz`);
    return response.ok;
  } catch {
    return false;
  }
}

// Listening on port 0 and closing again leaves a port that is free for the server a moment later.
async function findFreePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, host, resolve);
  });
  const address = probe.address();
  await new Promise<void>((resolve) => {
    probe.close(() => {
      resolve();
    });
  });
  if (address === null || typeof address === 'string') throw new Error('no TCP port for the server');
  return address.port;
}
