import { invalid } from '../accounts/user-fields.ts';
import { GatehouseError } from '../errors.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { createLimiter, type LimiterDeps, type Verdict } from './limiter.ts';
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

export interface RateLimitDeps extends LimiterDeps {
  /** told of every refusal, by the limit that refused */
  metrics: Metrics;
}

export type RateLimits = ReturnType<typeof createRateLimits>;

/**
 * The contract's rate limits (section 1), one call each for the routes and services that need them.
 * Refusals are `rate_limited` errors carrying Retry-After; every answer is the same whether or not an
 * account exists for the email.
 */
export function createRateLimits(settings: RateLimitSettings, deps: RateLimitDeps) {
  const loginFailures = createLimiter(
    { name: 'login-failures', max: settings.loginFailuresPerEmail, window: settings.loginWindow },
    deps,
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

  // Counted here, where a refusal is acted on: a verdict nobody acts on (a failure recorded after the
  // password was checked) refuses nothing.
  function counted(verdict: Verdict): Verdict {
    if (!verdict.allowed) deps.metrics.rateLimited(verdict.limit);
    return verdict;
  }

  // The longest wait wins: the request may go only when every limit lets it.
  function refuseUnlessAllowed(...verdicts: Verdict[]): void {
    let retryAfter = 0;
    for (const verdict of verdicts.map(counted)) {
      if (!verdict.allowed) retryAfter = Math.max(retryAfter, verdict.retryAfter);
    }
    if (retryAfter > 0) throw new GatehouseError('rate_limited', 'too many requests', { retryAfter });
  }

  return {
    /**
     * Counts a login attempt from `ip` and runs `authenticate` unless that IP is over its limit or
     * `email` is locked by failed logins; a refusal of the credentials (invalid_credentials) counts
     * against the email. Wrap every password login of every dialect in it.
     */
    async throttleLogin<T>(
      ip: string,
      email: string | undefined,
      authenticate: () => Promise<T>,
    ): Promise<T> {
      const subject = emailSubject(email ?? '');
      // a blank email is the domain's 422, not anybody's failure
      const counted = subject !== '';
      refuseUnlessAllowed(
        ...(await Promise.all([
          loginAttempts.hit(clientSubject(ip)),
          counted ? loginFailures.check(subject) : Promise.resolve<Verdict>({ allowed: true }),
        ])),
      );
      try {
        return await authenticate();
      } catch (error) {
        if (counted && error instanceof GatehouseError && error.code === 'invalid_credentials') {
          await loginFailures.hit(subject);
        }
        throw error;
      }
    },

    /**
     * Runs a check of a signed-in user's current password (password change, deactivation) under the
     * lock of their email: a wrong password counts as a failed login, and a locked email is refused
     * first. A stolen token must not become an unlimited way to guess the password.
     */
    async throttlePasswordCheck<T>(email: string, check: () => Promise<T>): Promise<T> {
      const subject = emailSubject(email);
      refuseUnlessAllowed(await loginFailures.check(subject));
      try {
        return await check();
      } catch (error) {
        if (isWrongCurrentPassword(error)) await loginFailures.hit(subject);
        throw error;
      }
    },

    /** Counts a registration attempt from `ip`, refused ones included; throws when over the limit. */
    async throttleRegistration(ip: string): Promise<void> {
      refuseUnlessAllowed(await registrations.hit(clientSubject(ip)));
    },

    /**
     * Counts a mail to `address`: false when the address has had its share this hour, and then no mail
     * may go out (the request is answered as if it had).
     */
    async admitMail(address: string): Promise<boolean> {
      return counted(await mails.hit(emailSubject(address))).allowed;
    },

    /** Unlocks an email locked by failed logins: what a completed password reset does. */
    async clearLoginFailures(email: string): Promise<void> {
      await loginFailures.clear(emailSubject(email));
    },
  };
}

function isWrongCurrentPassword(error: unknown): boolean {
  return (
    error instanceof GatehouseError &&
    error.code === 'validation_failed' &&
    error.fields.current_password?.includes(invalid) === true
  );
}
