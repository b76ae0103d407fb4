import { randomBytes } from 'node:crypto';
import { median, runLoad, type LoadFigures, type Request } from './load.ts';

export interface RegistrationRatioOptions {
  /** registrations in flight */
  concurrency: number;
  /** seconds per measured run */
  duration: number;
  /** measured runs per side, alternating */
  rounds: number;
}

/** Medians over the rounds: registrations per second with the verification mail, and without. */
export interface RegistrationRatio {
  withMail: LoadFigures;
  withoutMail: LoadFigures;
  ratio: number;
}

// More distinct registrations than any run can make: a repeated one would be a cheaper 422.
const registrationsPerRun = 5_000;

/** A fresh list of registrations no server has seen. */
function registrations(): Request[] {
  const run = randomBytes(4).toString('hex');
  return Array.from({ length: registrationsPerRun }, (_, index) => ({
    method: 'POST' as const,
    path: '/api/users',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      user: {
        email: `reg-${run}-${index}@example.com`,
        username: `reg_${run}_${index}`,
        password: `a passphrase for ${run} ${index}`,
      },
    }),
  }));
}

/**
 * POST /api/users on a server that mails a verification link with every account (the mail is a row in
 * the registration's transaction; the relay sends it later) against one that does not
 * (SEND_VERIFICATION_EMAIL=false), alternately, the same load on each.
 */
export async function measureRegistrationRatio(
  withMailUrl: string,
  withoutMailUrl: string,
  options: RegistrationRatioOptions,
): Promise<RegistrationRatio> {
  const runs: Array<{ withMail: LoadFigures; withoutMail: LoadFigures }> = [];
  const load = (url: string) =>
    runLoad({ url, connections: options.concurrency, duration: options.duration, requests: registrations() });
  for (let round = 0; round < options.rounds; round += 1) {
    const withMail = await load(withMailUrl);
    const withoutMail = await load(withoutMailUrl);
    runs.push({ withMail, withoutMail });
  }
  const medianOf = (side: 'withMail' | 'withoutMail'): LoadFigures => ({
    requestsPerSecond: median(runs.map((run) => run[side].requestsPerSecond)),
    p99: median(runs.map((run) => run[side].p99)),
    failures: runs.reduce((sum, run) => sum + run[side].failures, 0),
  });
  const withMail = medianOf('withMail');
  const withoutMail = medianOf('withoutMail');
  return { withMail, withoutMail, ratio: withMail.requestsPerSecond / withoutMail.requestsPerSecond };
}
