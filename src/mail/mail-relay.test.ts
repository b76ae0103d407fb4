import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { retryDelayAfter } from './mail-relay.ts';

describe('the retry schedule', () => {
  it('waits MAIL_RETRY_DELAY, then three times longer each time: eight attempts span about 18 hours', () => {
    const minute = 60_000;
    const waits = [1, 2, 3, 4, 5, 6, 7].map((attempts) => retryDelayAfter(attempts, minute) / minute);
    assert.deepEqual(waits, [1, 3, 9, 27, 81, 243, 729]);
    const hours = waits.reduce((sum, wait) => sum + wait, 0) / 60;
    assert.ok(hours > 18 && hours < 18.3, String(hours));
  });
});
