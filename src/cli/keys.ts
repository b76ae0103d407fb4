import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { createAuditTrail, type AuditDetail } from '../audit/audit-trail.ts';
import { systemClock } from '../clock.ts';
import { loadConfig, longestTokenLifetime, type Config } from '../config/config.ts';
import { resolveSecretKey } from '../config/secret-key.ts';
import {
  asymmetricAlgorithms,
  keyReloadInterval,
  keyRetention,
  keyStatuses,
  rotateSigningKey,
  type AsymmetricAlgorithm,
} from '../keys/key-lifecycle.ts';
import { symmetricKey } from '../keys/key-ring.ts';
import { createAuditRepository } from '../store/audit-repository.ts';
import { createSigningKeyRepository, type SigningKeyRepository } from '../store/signing-key-repository.ts';
import { CommandError, openConfiguredDatabase, type Env } from './context.ts';

/** `gatehouse keys rotate [--algorithm EdDSA|ES256|RS256]`, `gatehouse keys retire` and `gatehouse keys list`. */
export async function keys(args: string[], env: Env): Promise<void> {
  const [subcommand, ...rest] = args;
  if (subcommand === 'rotate') return rotate(rest, env);
  if (subcommand === 'retire') return retire(rest, env);
  if (subcommand === 'list') return list(rest, env);
  throw new CommandError(
    subcommand === undefined
      ? 'a subcommand is needed: rotate, retire or list'
      : `unknown subcommand '${subcommand}' (rotate, retire or list)`,
  );
}

/** Makes a new key the signer; the previous one keeps verifying until every token it signed has expired. */
async function rotate(args: string[], env: Env): Promise<void> {
  const { values } = parseArgs({ args, options: { algorithm: { type: 'string' } }, strict: true });
  const requested = values.algorithm;
  if (requested !== undefined && !isAsymmetric(requested)) {
    throw new CommandError(`--algorithm must be one of ${asymmetricAlgorithms.join(', ')}`);
  }
  const config = loadConfig(env);
  if (config.jwtAlgorithm === 'HS256') {
    throw new Error(
      'JWT_ALGORITHM is HS256, whose key is SECRET_KEY itself: there is no stored key to rotate',
    );
  }
  const algorithm = requested ?? config.jwtAlgorithm;
  await withKeyTable(config, async (repository, recordKeyChange) => {
    const key = await rotateSigningKey(
      { repository, secretKey: resolveSecretKey(config), clock: systemClock, newId: randomUUID },
      algorithm,
    );
    await recordKeyChange({ action: 'rotate', kid: key.kid, algorithm });
    console.log(
      `${key.kid} (${algorithm}) signs from now on; running servers switch within ${keyReloadInterval / 1000} s`,
    );
    await printVerifyingOnly(config, repository);
    if (algorithm !== config.jwtAlgorithm) {
      console.log(
        `note: servers sign with it whatever their JWT_ALGORITHM; set JWT_ALGORITHM=${algorithm} to match (it is ${config.jwtAlgorithm})`,
      );
    }
  });
}

/**
 * Under HS256, once every server runs it: the stored keys stop signing, and each keeps verifying until the
 * tokens it signed have expired. A server of another algorithm would make itself a new key instead.
 */
async function retire(args: string[], env: Env): Promise<void> {
  parseArgs({ args, options: {}, strict: true });
  const config = loadConfig(env);
  if (config.jwtAlgorithm !== 'HS256') {
    throw new Error(
      `JWT_ALGORITHM is ${config.jwtAlgorithm}: a server would make itself a new key at its next signing; \`gatehouse keys rotate\` replaces the signer`,
    );
  }
  await withKeyTable(config, async (repository, recordKeyChange) => {
    const retired = await repository.retireAll(systemClock.now());
    if (retired > 0) await recordKeyChange({ action: 'retire', keys: retired });
    console.log(
      retired === 0
        ? 'no stored key was signing: nothing changed'
        : `the stored keys sign no more; running servers see it within ${keyReloadInterval / 1000} s`,
    );
    await printVerifyingOnly(config, repository);
  });
}

// Each key that stopped signing but still verifies, and until when.
async function printVerifyingOnly(config: Config, repository: SigningKeyRepository): Promise<void> {
  const retention = keyRetention(longestTokenLifetime(config));
  for (const status of keyStatuses(await repository.list(), systemClock.now(), retention)) {
    if (status.state !== 'verifying-only' || status.verifiesUntil === undefined) continue;
    const until = new Date(status.verifiesUntil).toISOString();
    console.log(`${status.key.kid} (${status.key.algorithm}) verifies until ${until}`);
  }
}

/** One key a line, newest first: kid, algorithm, state, created. */
async function list(args: string[], env: Env): Promise<void> {
  parseArgs({ args, options: {}, strict: true });
  const config = loadConfig(env);
  await withKeyTable(config, async (repository) => {
    const retention = keyRetention(longestTokenLifetime(config));
    const statuses = keyStatuses(await repository.list(), systemClock.now(), retention);
    if (config.jwtAlgorithm === 'HS256') {
      // derived from SECRET_KEY, never stored: it has no creation time
      console.log(`${symmetricKey(resolveSecretKey(config)).signer.kid}\tHS256\tsigning\t-`);
    } else if (statuses.length === 0) {
      console.log('no signing keys yet: a server makes the first once it listens');
    }
    for (const { key, state } of statuses) {
      // under HS256 a stored signer only verifies, until `keys retire` starts its countdown
      const shown = config.jwtAlgorithm === 'HS256' && state === 'signing' ? 'verifying-only' : state;
      console.log(`${key.kid}\t${key.algorithm}\t${shown}\t${new Date(key.createdAt).toISOString()}`);
    }
  });
}

// The key table, and the audit log that records what was done to it: these commands change nothing else.
async function withKeyTable(
  config: Config,
  work: (
    repository: SigningKeyRepository,
    recordKeyChange: (detail: AuditDetail) => Promise<void>,
  ) => Promise<void>,
) {
  const database = openConfiguredDatabase(config);
  const auditEvents = createAuditRepository(database);
  const audit = createAuditTrail({
    events: auditEvents,
    clock: systemClock,
    newId: randomUUID,
    logger: pino({ level: 'silent' }),
  });
  try {
    // recorded once the key table's own transaction has committed
    await work(createSigningKeyRepository(database), (detail) =>
      audit.record({ auditEvents }, { type: 'key_rotated', detail }),
    );
  } finally {
    await database.close();
  }
}

function isAsymmetric(algorithm: string): algorithm is AsymmetricAlgorithm {
  return (asymmetricAlgorithms as readonly string[]).includes(algorithm);
}
