import type { PasswordAttempt } from '../accounts/ports.ts';
import { GatehouseError } from '../errors.ts';
import type { Clock } from '../clock.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { CounterStore } from '../store/counter-store.ts';
import {
  countTogether,
  createLimiter,
  releaseQuietly,
  uncountedHit,
  type CountedHit,
  type Verdict,
} from './limiter.ts';
import { clientSubject, emailSubject } from './subjects.ts';

const hour = 3_600_000;

export interface RateLimitSettings {
  /** failed logins per email per login window before every login for it is refused; 0: off */
  loginFailuresPerEmail: number;
  /** login attempts per client IP per login window; 0: off */
  loginAttemptsPerIp: number;
  /** ms */
  loginWindow: number;
  /** registrations per client IP per hour; 0: off */
  registrationsPerIp: number;
  /** password-reset and verification mails per address per hour; 0: off */
  mailsPerAddress: number;
}

export interface RateLimitDeps {
  /** the per-IP and per-address counters: in Redis when one is configured, else in the database */
  counters: CounterStore;
  /**
   * the failed logins per email: the database's (`Store.counters`) whatever `counters` are, since this
   * lock is the one limit an attacker profits from defeating, and it must outlive a Redis outage or
   * restart; an attempt released in a unit of work goes through the unit's view of the same table
   */
  emailLockCounters: CounterStore;
  clock: Clock;
  /** told of every refusal, by the limit that refused */
  metrics: Metrics;
}

export type RateLimits = ReturnType<typeof createRateLimits>;

/** An email's login lock as staff see it; `until` (epoch ms) only while it is locked. */
export interface LoginLock {
  locked: boolean;
  failures: number;
  until: number | null;
}

/**
 * The contract's rate limits (section 1), one call each for the routes and services that need them.
 * Refusals are `rate_limited` errors carrying Retry-After; every answer is the same whether or not an
 * account exists for the email.
 */
export function createRateLimits(settings: RateLimitSettings, deps: RateLimitDeps) {
  const loginFailures = createLimiter(
    { name: 'login-failures', max: settings.loginFailuresPerEmail, window: settings.loginWindow },
    { counters: deps.emailLockCounters, clock: deps.clock },
  );
  const loginAttempts = createLimiter(
    { name: 'login-attempts', max: settings.loginAttemptsPerIp, window: settings.loginWindow },
    deps,
  );
  const registrations = createLimiter(
    { name: 'registrations', max: settings.registrationsPerIp, window: hour },
    deps,
  );
  const mails = createLimiter({ name: 'mails', max: settings.mailsPerAddress, window: hour }, deps);

  // Counted here, where a refusal is acted on: a verdict only ever refuses through refuseUnlessAllowed
  // or admitMail.
  function counted(verdict: Verdict): Verdict {
    if (!verdict.allowed) deps.metrics.rateLimited(verdict.limit);
    return verdict;
  }

  // The longest wait wins: the request may go only when every limit lets it.
  function refuseUnlessAllowed(...verdicts: Verdict[]): void {
    let retryAfter = 0;
    const limits: string[] = [];
    for (const verdict of verdicts.map(counted)) {
      if (verdict.allowed) continue;
      retryAfter = Math.max(retryAfter, verdict.retryAfter);
      limits.push(verdict.limit);
    }
    if (retryAfter > 0) {
      throw new GatehouseError('rate_limited', 'too many requests', { retryAfter, limits });
    }
  }

  /** Refuses (after taking back the email's hit, which then checked nothing) unless every verdict allows. */
  async function admitted(failures: CountedHit, ...others: Verdict[]): Promise<PasswordAttempt> {
    try {
      refuseUnlessAllowed(failures.verdict, ...others);
    } catch (error) {
      await releaseQuietly(failures);
      throw error;
    }
    return {
      locksOnFailure: failures.last,
      // in the unit's own view of the counters: the lock's counters are always the database's
      release: (unit) => failures.release(unit?.counters),
    };
  }

  return {
    /** See AttemptLimits (accounts/ports.ts), which these three satisfy. */
    async beginLogin(ip: string, email: string): Promise<PasswordAttempt> {
      const subject = emailSubject(email);
      // One statement for both when both count in the database. A blank email is the domain's 422, not
      // anybody's failure.
      const [attempts, failures] = await countTogether(deps.clock, [
        loginAttempts.pending(clientSubject(ip)),
        subject === '' ? undefined : loginFailures.pending(subject),
      ]);
      return admitted(failures ?? uncountedHit, (attempts ?? uncountedHit).verdict);
    },

    async beginPasswordCheck(email: string): Promise<PasswordAttempt> {
      return admitted(await loginFailures.take(emailSubject(email)));
    },

    async admitRegistration(ip: string): Promise<void> {
      refuseUnlessAllowed(await registrations.hit(clientSubject(ip)));
    },

    /**
     * Counts a mail to `address`: false when the address has had its share this hour, and then no mail
     * may go out (the request is answered as if it had).
     */
    async admitMail(address: string): Promise<boolean> {
      return counted(await mails.hit(emailSubject(address))).allowed;
    },

    /**
     * The email's failed logins in the open window, and whether they lock it now (until the window ends):
     * what staff see of a login lock.
     */
    async loginLock(email: string): Promise<LoginLock> {
      const window = await loginFailures.peek(emailSubject(email));
      if (window === undefined) return { locked: false, failures: 0, until: null };
      return {
        locked: window.refusing,
        failures: window.hits,
        until: window.refusing ? window.endsAt : null,
      };
    },

    /** Unlocks an email locked by failed logins: what a completed password reset does. */
    async clearLoginFailures(email: string): Promise<void> {
      await loginFailures.clear(emailSubject(email));
    },
  };
}
