import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config.ts';

/**
 * SECRET_KEY, or in development one generated at first start and kept in the data folder (mode 0600),
 * so signing keys stay readable across restarts. Production refuses to start without one (loadConfig).
 */
export function resolveSecretKey(config: Pick<Config, 'secretKey' | 'dataDir' | 'production'>): string {
  if (config.secretKey !== undefined) return config.secretKey;
  if (config.production) throw new Error('SECRET_KEY is required in production');
  const file = join(config.dataDir, 'secret_key');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT') throw error;
  }
  mkdirSync(config.dataDir, { recursive: true });
  const generated = randomBytes(32).toString('base64url');
  // 'wx' fails if another process created it first; then that one's key wins
  try {
    writeFileSync(file, `${generated}\n`, { mode: 0o600, flag: 'wx' });
    return generated;
  } catch {
    return readFileSync(file, 'utf8').trim();
  }
}
