import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialects } from '../support/databases.ts';
import { createFakeClock, type FakeClock } from '../support/fake-clock.ts';
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
const hour = 3_600_000;
// the fake clock's now: 2026-11-23 12:00 UTC
const now = Date.UTC(2026, 10, 23, 12);

for (const dialect of dialects) {
  describe(`the staff's activity per day on ${dialect}`, () => {
    let test: TestApp;
    let clock: FakeClock;
    let staffToken: string;
    before(async () => {
      clock = createFakeClock(now);
      test = await startTestApp(dialect, { clock });
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

    it('keeps the open day’s settled hours once counted and counts live only from its first open hour', async () => {
      // 2026-11-25, after the fake clock's today, as the staff's token must not be older than the clock
      const open = Date.UTC(2026, 10, 25);
      const firstHour = open / hour;
      const keptHours = (from: number, to: number) =>
        test.database.db
          .selectFrom('audit_hourly_counts')
          .selectAll()
          .where('hour', '>=', from)
          .where('hour', '<', to)
          .execute();
      const keptDays = (which: number) =>
        test.database.db.selectFrom('audit_daily_counts').selectAll().where('day', '=', which).execute();
      const range = '?from=2026-11-24&to=2026-11-26';
      try {
        // 14:30: the hours up to 12:00–13:00 have settled (an hour after each ends), 13:00 on is open
        clock.set(open + 14.5 * hour);
        await storeEvents(test.database, [
          { type: 'registered', createdAt: open - 0.5 * hour },
          { type: 'registered', createdAt: open },
          { type: 'sign_in_succeeded', createdAt: open + 10 * hour - 1 },
          { type: 'sign_in_failed', createdAt: open + 10 * hour },
          { type: 'registered', createdAt: open + 13 * hour - 1 },
          { type: 'sign_in_succeeded', createdAt: open + 13 * hour },
          { type: 'locked_out', createdAt: open + 14.5 * hour - 1 },
        ]);
        const quiet = { date: '2026-11-26', signUps: 0, signIns: 0, failedSignIns: 0, lockouts: 0 };
        assert.deepEqual(await days(range), [
          { date: '2026-11-24', signUps: 1, signIns: 0, failedSignIns: 0, lockouts: 0 },
          { date: '2026-11-25', signUps: 2, signIns: 2, failedSignIns: 1, lockouts: 1 },
          quiet,
        ]);
        // the 13 settled hours are kept, quiet ones too, four types each; the open hours and day are not
        const hours = await keptHours(firstHour, firstHour + 24);
        assert.equal(hours.length, 13 * 4);
        const keptOf = (at: number, type: string) =>
          hours.find((row) => row.hour === at && row.type === type)?.count;
        assert.equal(keptOf(firstHour, 'registered'), 1);
        assert.equal(keptOf(firstHour + 9, 'sign_in_succeeded'), 1);
        assert.equal(keptOf(firstHour + 10, 'sign_in_failed'), 1);
        assert.equal(keptOf(firstHour + 12, 'registered'), 1);
        assert.equal(keptOf(firstHour + 5, 'registered'), 0);
        assert.deepEqual(await keptDays(open / day), []);

        // written now with the time of a kept hour, an event is not counted: the kept count is read, not
        // the log; one in the open hour is
        await storeEvents(test.database, [
          { type: 'registered', createdAt: open + 5 * hour },
          { type: 'sign_in_succeeded', createdAt: open + 13.5 * hour },
        ]);
        const afternoon = { date: '2026-11-25', signUps: 2, signIns: 3, failedSignIns: 1, lockouts: 1 };
        assert.deepEqual((await days(range))[1], afternoon);
        // the day's figures are its kept hours plus its events since the first open hour
        const liveEvents = await test.database.db
          .selectFrom('audit_events')
          .select('type')
          .where('created_at', '>=', open + 13 * hour)
          .where('created_at', '<', open + day)
          .execute();
        const dayTotal = (type: string) =>
          hours.filter((row) => row.type === type).reduce((sum, row) => sum + row.count, 0) +
          liveEvents.filter((row) => row.type === type).length;
        assert.deepEqual(afternoon, {
          date: '2026-11-25',
          signUps: dayTotal('registered'),
          signIns: dayTotal('sign_in_succeeded'),
          failedSignIns: dayTotal('sign_in_failed'),
          lockouts: dayTotal('locked_out'),
        });

        // an hour later 13:00–14:00 has settled: counted once, both of its sign-ins, and kept
        clock.set(open + 15.5 * hour);
        assert.deepEqual((await days(range))[1], afternoon);
        const thirteen = await keptHours(firstHour + 13, firstHour + 14);
        assert.equal(thirteen.find((row) => row.type === 'sign_in_succeeded')?.count, 2);

        // 00:30 the next day: the day before stays open until 01:00, its last hour counted live
        clock.set(open + 24.5 * hour);
        await storeEvents(test.database, [{ type: 'sign_in_failed', createdAt: open + 23.25 * hour }]);
        const evening = { ...afternoon, failedSignIns: 2 };
        assert.deepEqual((await days(range)).slice(1), [evening, quiet]);
        assert.equal((await keptHours(firstHour, firstHour + 24)).length, 23 * 4);
        assert.deepEqual(await keptDays(open / day), []);

        // 01:30: the day has settled and is counted once from the log itself, as any settled day is (so
        // the event written late into a kept hour is in it); its hours stay until hours are kept again
        clock.set(open + 25.5 * hour);
        const settled = { ...evening, signUps: 3 };
        assert.deepEqual((await days(range)).slice(1), [settled, quiet]);
        assert.equal((await keptDays(open / day)).length, 4);
        assert.equal((await keptHours(firstHour, firstHour + 24)).length, 23 * 4);

        // 02:30: the next day's first hour is kept, and the settled day's hours, read no more, are deleted;
        // the settled day is read from its kept counts, so an event written into it now changes nothing
        clock.set(open + 26.5 * hour);
        await storeEvents(test.database, [{ type: 'registered', createdAt: open + 6 * hour }]);
        assert.deepEqual((await days(range)).slice(1), [settled, quiet]);
        assert.deepEqual(await keptHours(firstHour, firstHour + 24), []);
        assert.equal((await keptHours(firstHour + 24, firstHour + 48)).length, 4);
      } finally {
        clock.set(now);
      }
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
