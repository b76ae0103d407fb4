import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { GatehouseError } from '../../src/errors.ts';
import { createRateLimits, type RateLimits, type RateLimitSettings } from '../../src/limits/rate-limits.ts';
import { ignoreMetrics } from '../../src/metrics/metrics.ts';
import { createMetrics } from '../../src/metrics/prometheus.ts';
import { createCounterRepository } from '../../src/store/counter-repository.ts';
import type { CounterStore } from '../../src/store/counter-store.ts';
import { createRedisCounterStore } from '../../src/store/redis-counter-store.ts';
import { createStore, type Store } from '../../src/store/store.ts';
import {
  counterStoreKinds,
  openCounterStore,
  refusingFallback,
  skipWithout,
  type OpenCounterStore,
} from '../support/counter-stores.ts';
import { parseExposition } from '../support/exposition.ts';
import { createFakeClock } from '../support/fake-clock.ts';
import { randomKeyPrefix } from '../support/redis.ts';
import { openMigratedDatabase, type MigratedDatabase } from '../store/migrated-database.ts';

const minute = 60_000;
const defaults: RateLimitSettings = {
  loginFailuresPerEmail: 10,
  loginAttemptsPerIp: 100,
  loginWindow: 15 * minute,
  registrationsPerIp: 20,
  mailsPerAddress: 5,
};

const refused = () =>
  Promise.reject(new GatehouseError('invalid_credentials', 'email or password is invalid'));
const accepted = () => Promise.resolve('signed in');
const isCode = (code: string, retryAfter?: number) => (error: unknown) => {
  assert.ok(error instanceof GatehouseError, String(error));
  assert.equal(error.code, code);
  if (retryAfter !== undefined) assert.equal(error.retryAfter, retryAfter);
  return true;
};

/**
 * A password login as the account domain runs one: counted before the check, released unless the
 * credentials were refused.
 */
async function throttleLogin<T>(
  limits: RateLimits,
  ip: string,
  email: string,
  check: () => Promise<T>,
): Promise<T> {
  const attempt = await limits.beginLogin(ip, email);
  try {
    const result = await check();
    await attempt.release();
    return result;
  } catch (error) {
    if (!(error instanceof GatehouseError && error.code === 'invalid_credentials')) await attempt.release();
    throw error;
  }
}

// A fresh subject per test, so tests sharing a store never share a counter.
const newEmail = () => `Someone.${randomBytes(4).toString('hex')}@Example.com`;
const newIp = () => `2001:db8:${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}::1`;
const newIpv4 = () => [...randomBytes(4)].join('.');

for (const kind of counterStoreKinds) {
  describe(`rate limits over ${kind}`, { skip: skipWithout(kind) }, () => {
    const clock = createFakeClock();
    let store: OpenCounterStore;
    before(async () => {
      store = await openCounterStore(kind);
    });
    after(() => store.close());

    const limitsWith = (settings: Partial<RateLimitSettings> = {}) =>
      createRateLimits(
        { ...defaults, ...settings },
        { counters: store.counters, emailLockCounters: store.counters, clock, metrics: ignoreMetrics },
      );

    it('locks an email after 10 refused logins in any casing, without asking for the password, until the window closes', async () => {
      const limits = limitsWith();
      const email = newEmail();
      const casings = [email, email.toLowerCase(), email.toUpperCase(), `  ${email}  `];
      for (let failure = 0; failure < 10; failure += 1) {
        await assert.rejects(
          throttleLogin(limits, newIp(), casings[failure % casings.length] ?? email, refused),
          isCode('invalid_credentials'),
        );
      }
      clock.advance(5 * minute);
      let asked = false;
      const watched = () => {
        asked = true;
        return accepted();
      };
      await assert.rejects(
        throttleLogin(limits, newIp(), email.toLowerCase(), watched),
        isCode('rate_limited', 600),
      );
      assert.equal(asked, false, 'authenticate ran for a locked email');

      // refusals while locked neither count nor stretch the window
      clock.advance(10 * minute - 1000);
      await assert.rejects(throttleLogin(limits, newIp(), email, watched), isCode('rate_limited', 1));
      clock.advance(1000);
      assert.equal(await throttleLogin(limits, newIp(), email, watched), 'signed in');
      assert.equal(asked, true);
    });

    it('counts only refused credentials against the email', async () => {
      const limits = limitsWith();
      const email = newEmail();
      const blank = () => Promise.reject(new GatehouseError('validation_failed', 'validation failed'));
      for (let attempt = 0; attempt < 12; attempt += 1) {
        await assert.rejects(throttleLogin(limits, newIp(), email, blank), isCode('validation_failed'));
        assert.equal(await throttleLogin(limits, newIp(), email, accepted), 'signed in');
      }
      for (let attempt = 0; attempt < 12; attempt += 1) {
        await assert.rejects(throttleLogin(limits, newIp(), '   ', refused), isCode('invalid_credentials'));
      }
      assert.equal(await throttleLogin(limits, newIp(), email, accepted), 'signed in');
    });

    it('keeps other emails out of one email’s lock', async () => {
      const limits = limitsWith({ loginFailuresPerEmail: 2 });
      const locked = newEmail();
      for (let failure = 0; failure < 2; failure += 1) {
        await assert.rejects(throttleLogin(limits, newIp(), locked, refused), isCode('invalid_credentials'));
      }
      await assert.rejects(throttleLogin(limits, newIp(), locked, accepted), isCode('rate_limited', 900));
      assert.equal(await throttleLogin(limits, newIp(), newEmail(), accepted), 'signed in');
    });

    it('unlocks an email whose failures are cleared, as a password reset does', async () => {
      const limits = limitsWith({ loginFailuresPerEmail: 2 });
      const email = newEmail();
      for (let failure = 0; failure < 2; failure += 1) {
        await assert.rejects(throttleLogin(limits, newIp(), email, refused), isCode('invalid_credentials'));
      }
      await assert.rejects(throttleLogin(limits, newIp(), email, accepted), isCode('rate_limited'));
      await limits.clearLoginFailures(email.toUpperCase());
      assert.equal(await throttleLogin(limits, newIp(), email, accepted), 'signed in');
    });

    it('refuses an IP past its login attempts, successes included, before authenticating; an IPv6 client by its /64', async () => {
      const limits = limitsWith({ loginAttemptsPerIp: 3 });
      const prefix = `2001:db8:${randomBytes(2).toString('hex')}:1`;
      const addresses = [`${prefix}::1`, `${prefix}:0:0:0:2`, `${prefix}:ffff:ffff:ffff:ffff`];
      for (const address of addresses) {
        assert.equal(await throttleLogin(limits, address, newEmail(), accepted), 'signed in');
      }
      let asked = false;
      await assert.rejects(
        throttleLogin(limits, `${prefix}::abcd`, newEmail(), () => {
          asked = true;
          return accepted();
        }),
        isCode('rate_limited', 900),
      );
      assert.equal(asked, false);
      assert.equal(
        await throttleLogin(limits, `2001:db8:${randomBytes(2).toString('hex')}::1`, newEmail(), accepted),
        'signed in',
      );
      clock.advance(15 * minute);
      assert.equal(await throttleLogin(limits, addresses[0] ?? '', newEmail(), accepted), 'signed in');
    });

    it('answers with the longer wait when the IP and the email are both over', async () => {
      const limits = limitsWith({ loginAttemptsPerIp: 2, loginFailuresPerEmail: 1 });
      const [ip, email] = [newIp(), newEmail()];
      assert.equal(await throttleLogin(limits, ip, newEmail(), accepted), 'signed in');
      clock.advance(5 * minute);
      await assert.rejects(throttleLogin(limits, newIp(), email, refused), isCode('invalid_credentials'));
      assert.equal(await throttleLogin(limits, ip, newEmail(), accepted), 'signed in');
      // the IP's window closes in 10 minutes, the email's in 15
      await assert.rejects(throttleLogin(limits, ip, email, accepted), isCode('rate_limited', 900));
      await assert.rejects(throttleLogin(limits, ip, newEmail(), accepted), isCode('rate_limited', 600));
    });

    it('refuses registrations from an IP past its share for the rest of the hour', async () => {
      const limits = limitsWith({ registrationsPerIp: 2 });
      const ip = newIpv4();
      await limits.admitRegistration(ip);
      clock.advance(20 * minute);
      await limits.admitRegistration(`::ffff:${ip}`);
      await assert.rejects(limits.admitRegistration(ip), isCode('rate_limited', 40 * 60));
      await limits.admitRegistration(newIp());
      clock.advance(40 * minute);
      await limits.admitRegistration(ip);
    });

    it('admits 5 mails an hour to one address in any casing, and no more', async () => {
      const limits = limitsWith();
      const address = newEmail();
      for (let mail = 0; mail < 5; mail += 1) {
        assert.equal(await limits.admitMail(mail % 2 === 0 ? address : address.toLowerCase()), true);
      }
      assert.equal(await limits.admitMail(address.toUpperCase()), false);
      assert.equal(await limits.admitMail(newEmail()), true);
      clock.advance(60 * minute);
      assert.equal(await limits.admitMail(address), true);
    });

    it('counts nothing at all for a limit set to 0', async () => {
      const limits = limitsWith({
        loginFailuresPerEmail: 0,
        loginAttemptsPerIp: 0,
        registrationsPerIp: 0,
        mailsPerAddress: 0,
      });
      const before = await store.size();
      const [ip, email] = [newIp(), newEmail()];
      for (let attempt = 0; attempt < 25; attempt += 1) {
        await assert.rejects(throttleLogin(limits, ip, email, refused), isCode('invalid_credentials'));
        await limits.admitRegistration(ip);
        assert.equal(await limits.admitMail(email), true);
      }
      assert.equal(await throttleLogin(limits, ip, email, accepted), 'signed in');
      assert.equal(await store.size(), before);
    });

    it('reports each refusal by the limit that refused: a mail not sent, a login or registration refused', async () => {
      const metrics = createMetrics();
      const limits = createRateLimits(
        {
          ...defaults,
          loginFailuresPerEmail: 1,
          loginAttemptsPerIp: 2,
          registrationsPerIp: 1,
          mailsPerAddress: 1,
        },
        { counters: store.counters, emailLockCounters: store.counters, clock, metrics: metrics.events },
      );
      const [ip, email] = [newIp(), newEmail()];
      assert.equal(await limits.admitMail(email), true);
      assert.equal(await limits.admitMail(email), false);
      await limits.admitRegistration(ip);
      await assert.rejects(limits.admitRegistration(ip), isCode('rate_limited'));
      await assert.rejects(throttleLogin(limits, ip, email, refused), isCode('invalid_credentials'));
      // the IP's second attempt is allowed, the email is locked
      await assert.rejects(throttleLogin(limits, ip, email, accepted), isCode('rate_limited'));
      // both refuse the third: each counts
      await assert.rejects(throttleLogin(limits, ip, email, accepted), isCode('rate_limited'));
      const exposition = parseExposition(await metrics.exposition());
      const refusals = (limit: string) => exposition.value('gatehouse_rate_limit_refusals_total', { limit });
      assert.deepEqual(
        ['mails', 'registrations', 'login-failures', 'login-attempts'].map(refusals),
        [1, 1, 2, 1],
      );
    });
  });
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`rate limits over a Redis that cannot be reached, on ${dialect}`, () => {
    it('hold every limit on the database instead (never fail open)', async () => {
      const migrated = await openMigratedDatabase(dialect);
      const inDatabase = createCounterRepository(migrated.database);
      const counters = createRedisCounterStore({
        // nothing listens on port 1
        url: 'redis://127.0.0.1:1',
        keyPrefix: randomKeyPrefix(),
        fallback: inDatabase,
        onUnavailable: () => {},
        onAvailable: () => {},
      });
      const limits = createRateLimits(
        {
          ...defaults,
          loginFailuresPerEmail: 2,
          loginAttemptsPerIp: 3,
          registrationsPerIp: 1,
          mailsPerAddress: 1,
        },
        { counters, emailLockCounters: inDatabase, clock: createFakeClock(), metrics: ignoreMetrics },
      );
      try {
        const [ip, email] = [newIp(), newEmail()];
        for (let failure = 0; failure < 2; failure += 1) {
          await assert.rejects(throttleLogin(limits, newIp(), email, refused), isCode('invalid_credentials'));
        }
        await assert.rejects(throttleLogin(limits, newIp(), email, accepted), isCode('rate_limited'));
        for (let attempt = 0; attempt < 3; attempt += 1) {
          assert.equal(await throttleLogin(limits, ip, newEmail(), accepted), 'signed in');
        }
        await assert.rejects(throttleLogin(limits, ip, newEmail(), accepted), isCode('rate_limited'));
        await limits.admitRegistration(ip);
        await assert.rejects(limits.admitRegistration(ip), isCode('rate_limited'));
        assert.equal(await limits.admitMail(email), true);
        assert.equal(await limits.admitMail(email), false);
        const keys = await migrated.database.db.selectFrom('rate_limit_counters').select('key').execute();
        const names = new Set(keys.map((row) => row.key.split(':')[0]));
        assert.deepEqual([...names].sort(), ['login-attempts', 'login-failures', 'mails', 'registrations']);
      } finally {
        await counters.close();
        await migrated.close();
      }
    });
  });
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`rate limits over a ${dialect} database that is gone`, () => {
    it('pass the database error on, as the rest of the request would meet it', async () => {
      const migrated = await openMigratedDatabase(dialect);
      const inDatabase = createCounterRepository(migrated.database);
      const limits = createRateLimits(defaults, {
        counters: inDatabase,
        emailLockCounters: inDatabase,
        clock: createFakeClock(),
        metrics: ignoreMetrics,
      });
      await migrated.close();
      let asked = false;
      await assert.rejects(
        throttleLogin(limits, newIp(), newEmail(), () => {
          asked = true;
          return accepted();
        }),
        (error: unknown) => !(error instanceof GatehouseError),
      );
      assert.equal(asked, false);
      await assert.rejects(
        limits.admitRegistration(newIp()),
        (error: unknown) => !(error instanceof GatehouseError),
      );
    });
  });
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`a login's attempt over the ${dialect} database's counters`, () => {
    let migrated: MigratedDatabase;
    let store: Store;
    before(async () => {
      migrated = await openMigratedDatabase(dialect);
      store = createStore(migrated.database, (error) => {
        throw error;
      });
    });
    after(() => migrated.close());

    // the database's counters, telling each call to count which keys it was given
    function countingCalls(counters: CounterStore) {
      const calls: number[] = [];
      const spied: CounterStore = {
        ...counters,
        increment(hits, now) {
          calls.push(hits.length);
          return counters.increment(hits, now);
        },
      };
      return { calls, counters: spied };
    }

    it('counts the IP and the email in one call when both count in the database', async () => {
      const { calls, counters } = countingCalls(store.counters);
      const limits = createRateLimits(defaults, {
        counters,
        emailLockCounters: counters,
        clock: createFakeClock(),
        metrics: ignoreMetrics,
      });
      await limits.beginLogin(newIp(), newEmail());
      assert.deepEqual(calls, [2]);
    });

    it('takes the attempt back with the unit of work it is released in, and not when that unit rolls back', async () => {
      const limits = createRateLimits(defaults, {
        counters: store.counters,
        emailLockCounters: store.counters,
        clock: createFakeClock(),
        metrics: ignoreMetrics,
      });
      const email = newEmail();
      const rolledBack = await limits.beginLogin(newIp(), email);
      const failure = new Error('the sign-in failed after its release');
      await assert.rejects(
        store.transaction(async (unit) => {
          await rolledBack.release(unit);
          throw failure;
        }),
        failure,
      );
      // still counted: the release rolled back with the sign-in
      assert.equal((await limits.loginLock(email)).failures, 1);

      const committed = await limits.beginLogin(newIp(), email);
      assert.equal((await limits.loginLock(email)).failures, 2);
      await store.transaction((unit) => committed.release(unit));
      assert.equal((await limits.loginLock(email)).failures, 1);
    });

    it('takes the email’s hit back when the IP’s counters fail, and passes their error on', async () => {
      const limits = createRateLimits(defaults, {
        counters: refusingFallback,
        emailLockCounters: store.counters,
        clock: createFakeClock(),
        metrics: ignoreMetrics,
      });
      const email = newEmail();
      await assert.rejects(limits.beginLogin(newIp(), email), /the test Redis did not answer/);
      assert.deepEqual(await limits.loginLock(email), { locked: false, failures: 0, until: null });
    });
  });
}
