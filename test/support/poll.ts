import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Asks until `done` holds, at most `timeout` ms; returns the last answer either way. Only for what the
 * test cannot drive itself, such as a client reconnecting to a server that came back.
 */
export async function poll<T>(
  ask: () => Promise<T>,
  done: (answer: T) => boolean,
  timeout = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const answer = await ask();
    if (done(answer) || Date.now() > deadline) return answer;
    await sleep(100);
  }
}
