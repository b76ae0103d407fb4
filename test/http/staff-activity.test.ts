import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialects } from '../support/databases.ts';
import { createFakeClock } from '../support/fake-clock.ts';
import { bearer, registerUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import { countEvents, storeEvents } from './staff-records.ts';
import { errorCodeOf, registerStaff } from './staff-shapes.ts';

interface Day {
  date: string;
  signUps: number;
  signIns: number;
  failedSignIns: number;
  lockouts: number;
}

const day = 86_400_000;
// the fake clock's now: 2026-11-23 12:00 UTC
const now = Date.UTC(2026, 10, 23, 12);

for (const dialect of dialects) {
  describe(`the staff's activity per day on ${dialect}`, () => {
    let test: TestApp;
    let staffToken: string;
    before(async () => {
      test = await startTestApp(dialect, { clock: createFakeClock(now) });
      staffToken = (await registerStaff(test)).token;
    });
    after(() => test.close());

    const get = (url: string, token = staffToken) =>
      request(test.app, 'GET', url, { headers: bearer(token) });
    const days = async (query: string) => {
      const response = await get(`/api/admin/activity${query}`);
      assert.equal(response.status, 200, response.text);
      return (response.body as { days: Day[] }).days;
    };

    it('counts sign-ups, sign-ins, failed sign-ins and lockouts per UTC day, every day with zeros', async () => {
      const first = Date.UTC(2025, 2, 1);
      await storeEvents(test.database, [
        // the first and last millisecond of 2025-03-01 are that day's, the next one the next day's
        { type: 'registered', createdAt: first },
        { type: 'registered', createdAt: first + day - 1 },
        { type: 'sign_in_succeeded', createdAt: first + 5 },
        { type: 'sign_in_failed', createdAt: first + 6 },
        { type: 'sign_in_failed', createdAt: first + day },
        { type: 'locked_out', createdAt: first + day + 1 },
        { type: 'sign_in_succeeded', createdAt: first + 3 * day + 7 },
        // not counted: other types, and days outside the range
        { type: 'signed_out', createdAt: first + 8 },
        { type: 'password_changed', createdAt: first + day + 9 },
        { type: 'registered', createdAt: first - 1 },
        { type: 'registered', createdAt: first + 4 * day },
      ]);
      assert.deepEqual(await days('?from=2025-03-01&to=2025-03-04'), [
        { date: '2025-03-01', signUps: 2, signIns: 1, failedSignIns: 1, lockouts: 0 },
        { date: '2025-03-02', signUps: 0, signIns: 0, failedSignIns: 1, lockouts: 1 },
        { date: '2025-03-03', signUps: 0, signIns: 0, failedSignIns: 0, lockouts: 0 },
        { date: '2025-03-04', signUps: 0, signIns: 1, failedSignIns: 0, lockouts: 0 },
      ]);
      // one day
      assert.deepEqual(await days('?from=2025-03-02&to=2025-03-02'), [
        { date: '2025-03-02', signUps: 0, signIns: 0, failedSignIns: 1, lockouts: 1 },
      ]);
      // settled days are counted once and kept, quiet ones too: four types a day
      const kept = await test.database.db
        .selectFrom('audit_daily_counts')
        .selectAll()
        .where('day', '>=', first / day)
        .where('day', '<=', first / day + 3)
        .execute();
      assert.equal(kept.length, 16);
      assert.equal(kept.filter((row) => row.day === first / day && row.type === 'registered')[0]?.count, 2);
      // asked again, from the kept counts and the live ones around them
      assert.deepEqual(
        (await days('?from=2025-02-28&to=2025-03-02')).map((each) => each.signUps),
        [1, 2, 0],
      );
    });

    it('matches what the app recorded, over the last 30 days by default', async () => {
      const person = await registerUser(test.app);
      const login = (password: string) =>
        request(test.app, 'POST', '/api/users/login', { body: { user: { email: person.email, password } } });
      assert.equal((await login('wrong-guess-001')).status, 401);
      assert.equal((await login(person.password)).status, 200);
      const recorded = await test.database.db
        .selectFrom('audit_events')
        .select(['type'])
        .where('created_at', '>=', now - (now % day))
        .execute();
      const count = (type: string) => recorded.filter((row) => row.type === type).length;

      const last30 = await days('');
      assert.equal(last30.length, 30);
      assert.equal(last30[0]?.date, '2026-10-25');
      assert.equal(last30.at(-1)?.date, '2026-11-23');
      assert.deepEqual(last30.at(-1), {
        date: '2026-11-23',
        signUps: count('registered'),
        signIns: count('sign_in_succeeded'),
        failedSignIns: count('sign_in_failed'),
        lockouts: count('locked_out'),
      });
      assert.ok(count('registered') >= 2 && count('sign_in_failed') === 1);
      // today has not settled: counted afresh each time, never kept
      const keptToday = await test.database.db
        .selectFrom('audit_daily_counts')
        .select('day')
        .where('day', '>=', Math.floor(now / day))
        .execute();
      assert.deepEqual(keptToday, []);
      await request(test.app, 'POST', '/api/users/login', {
        body: { user: { email: person.email, password: 'wrong-guess-002' } },
      });
      assert.equal((await days('')).at(-1)?.failedSignIns, count('sign_in_failed') + 1);
      assert.ok(last30.slice(0, -1).every((each) => each.signUps + each.signIns + each.failedSignIns === 0));
      // `to` alone: the 30 days ending then; `from` alone: up to today
      const ending = await days('?to=2025-03-04');
      assert.equal(ending.length, 30);
      assert.equal(ending[0]?.date, '2025-02-03');
      const since = await days('?from=2026-11-20');
      assert.deepEqual(
        since.map((each) => each.date),
        ['2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23'],
      );
    });

    it('takes up to 366 days and refuses more, a reversed range or a date that is not one (422)', async () => {
      const leapYear = await days('?from=2024-01-01&to=2024-12-31');
      assert.equal(leapYear.length, 366);
      assert.equal(leapYear[59]?.date, '2024-02-29');
      const before = await countEvents(test.database);
      for (const [query, field] of [
        ['from=2024-01-01&to=2025-01-01', 'to'],
        ['from=2025-03-02&to=2025-03-01', 'to'],
        ['from=2026-02-30', 'from'],
        ['to=2026-13-01', 'to'],
        ['from=2026-1-1', 'from'],
        ['from=yesterday', 'from'],
        ['to=2026-11-23T00:00:00Z', 'to'],
      ] as const) {
        const response = await get(`/api/admin/activity?${query}`);
        assert.equal(response.status, 422, `${query}: ${response.text}`);
        const { error } = response.body as { error: { code: string; fields: Record<string, string[]> } };
        assert.equal(error.code, 'validation_failed');
        assert.deepEqual(Object.keys(error.fields), [field], query);
      }
      assert.equal(await countEvents(test.database), before);
    });

    it('answers 401 to the anonymous and 403 to an account that is not staff', async () => {
      const anonymous = await request(test.app, 'GET', '/api/admin/activity');
      assert.equal(anonymous.status, 401, anonymous.text);
      const person = await registerUser(test.app);
      const refused = await get('/api/admin/activity', person.token);
      assert.equal(refused.status, 403, refused.text);
      assert.equal(errorCodeOf(refused.body), 'forbidden');
    });
  });
}
