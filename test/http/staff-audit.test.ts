import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { parseCsv } from '../support/csv.ts';
import { dialects } from '../support/databases.ts';
import { bearer, registerUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import { countEvents, storeEvents, userIdOf } from './staff-records.ts';
import { errorCodeOf, registerStaff } from './staff-shapes.ts';

interface StaffEvent {
  id: string;
  at: string;
  type: string;
  userId: string | null;
  actor: string;
  actorId: string | null;
  userAgent: string | null;
  detail: Record<string, unknown>;
}

interface AuditPage {
  events: StaffEvent[];
  nextCursor: string | null;
}

// A day in the past, far from every event the app writes itself while the test runs.
const base = Date.UTC(2025, 0, 10, 9);
const minute = 60_000;

for (const dialect of dialects) {
  describe(`the staff's audit log on ${dialect}`, () => {
    let test: TestApp;
    let staffToken: string;
    let staffId: string;
    before(async () => {
      test = await startTestApp(dialect);
      const staff = await registerStaff(test);
      staffToken = staff.token;
      staffId = await userIdOf(test.database, staff.email);
    });
    after(() => test.close());

    const get = (url: string, token = staffToken) =>
      request(test.app, 'GET', url, { headers: bearer(token) });
    const page = async (url: string) => {
      const response = await get(url);
      assert.equal(response.status, 200, response.text);
      return response.body as AuditPage;
    };

    it('lists events newest first with who, whom and from where, and what the app itself recorded', async () => {
      const person = await registerUser(test.app);
      const personId = await userIdOf(test.database, person.email);
      const { events } = await page(`/api/admin/audit?user=${personId}`);
      assert.deepEqual(
        events.map((event) => event.type),
        ['registered'],
      );
      const [registered] = events;
      assert.ok(registered !== undefined);
      assert.equal(registered.userId, personId);
      assert.equal(registered.actor, 'self');
      assert.equal(registered.actorId, null);
      assert.match(registered.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.deepEqual(Object.keys(registered).sort(), [
        'actor',
        'actorId',
        'at',
        'detail',
        'id',
        'ip',
        'requestId',
        'sessionId',
        'type',
        'userAgent',
        'userId',
      ]);
    });

    it('filters by account, type, actor and time range, each alone and together', async () => {
      const target = 'filter-target';
      const other = 'filter-other';
      const actor = 'filter-staff';
      const [early, middle, late, byStaff, elsewhere] = await storeEvents(test.database, [
        { type: 'sign_in_failed', userId: target, createdAt: base },
        { type: 'sign_in_succeeded', userId: target, createdAt: base + minute },
        { type: 'sign_in_failed', userId: target, createdAt: base + 2 * minute },
        { type: 'deactivated', userId: target, actor: 'staff', actorId: actor, createdAt: base + 3 * minute },
        { type: 'sign_in_failed', userId: other, createdAt: base + 4 * minute },
      ]);
      const ids = async (query: string) =>
        (await page(`/api/admin/audit?${query}`)).events.map((event) => event.id);
      assert.deepEqual(await ids(`user=${target}`), [byStaff, late, middle, early]);
      assert.deepEqual(await ids(`user=${target}&type=sign_in_failed`), [late, early]);
      assert.deepEqual(await ids(`actor=${actor}`), [byStaff]);
      const since = new Date(base + minute).toISOString();
      const until = new Date(base + 3 * minute).toISOString();
      // since is included, until is not
      assert.deepEqual(await ids(`since=${since}&until=${until}`), [late, middle]);
      assert.deepEqual(await ids(`type=sign_in_failed&since=${since}&until=${until}`), [late]);
      assert.deepEqual(await ids(`type=sign_in_failed&until=${until}`), [late, early]);
      assert.ok(elsewhere !== undefined);
      assert.ok((await ids(`type=sign_in_failed&since=${since}`)).includes(elsewhere));
      assert.deepEqual(await ids('type=no_such_type'), []);
    });

    it('pages by cursor without skipping or repeating while newer events arrive, ties in time included', async () => {
      const user = 'paged-user';
      // two pairs share a millisecond: the id breaks the tie
      const stored = await storeEvents(
        test.database,
        [0, 1, 1, 2, 3, 3, 4].map((offset) => ({
          type: 'signed_out',
          userId: user,
          createdAt: base + offset,
        })),
      );
      const expected = (
        await test.database.db
          .selectFrom('audit_events')
          .select('id')
          .where('user_id', '=', user)
          .orderBy('created_at', 'desc')
          .orderBy('id', 'desc')
          .execute()
      ).map((row) => row.id);
      assert.deepEqual([...expected].sort(), [...stored].sort());

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor === null ? '' : `&cursor=${cursor}`;
        const current = await page(`/api/admin/audit?user=${user}&limit=3${query}`);
        seen.push(...current.events.map((event) => event.id));
        cursor = current.nextCursor;
        pages += 1;
        // newer events, written between pages, sort before the cursor and never shift the next page
        await storeEvents(test.database, [
          { type: 'signed_out', userId: user, createdAt: base + 100 + pages },
        ]);
      } while (cursor !== null);
      assert.equal(pages, 3);
      assert.deepEqual(seen, expected);
    });

    it('caps a limit above 100 at 100 events a page, as the contract says ("`?limit=` capped")', async () => {
      const user = randomUUID();
      await storeEvents(
        test.database,
        Array.from({ length: 101 }, (_, index) => ({
          type: 'sign_in_failed',
          userId: user,
          createdAt: base + index,
        })),
      );
      for (const limit of ['100', '101', '1000', '999999999']) {
        const { events, nextCursor } = await page(`/api/admin/audit?user=${user}&limit=${limit}`);
        assert.equal(events.length, 100, limit);
        assert.notEqual(nextCursor, null, limit);
      }
      const first = await page(`/api/admin/audit?user=${user}&limit=101`);
      const rest = await page(`/api/admin/audit?user=${user}&limit=101&cursor=${String(first.nextCursor)}`);
      assert.equal(rest.events.length, 1);
      assert.equal(rest.nextCursor, null);
    });

    it('refuses every bad filter with 422 naming the field, and changes nothing', async () => {
      const before = await countEvents(test.database);
      const cases: Array<[string, string]> = [
        ['limit=0', 'limit'],
        ['limit=-1', 'limit'],
        ['limit=1.5', 'limit'],
        ['limit=ten', 'limit'],
        ['cursor=not-a-cursor', 'cursor'],
        ['cursor=', 'cursor'],
        ['since=yesterday', 'since'],
        ['until=2025-13-01T00:00:00Z', 'until'],
        [`since=${new Date(base).toISOString()}&until=${new Date(base).toISOString()}`, 'until'],
        [`since=${new Date(base + minute).toISOString()}&until=${new Date(base).toISOString()}`, 'until'],
        ['type=Sign-In', 'type'],
        [`user=${'x'.repeat(65)}`, 'user'],
        ['actor=', 'actor'],
      ];
      for (const [query, field] of cases) {
        for (const path of ['/api/admin/audit', '/api/admin/audit.csv']) {
          if (path.endsWith('.csv') && /^(limit|cursor)=/.test(query)) continue;
          const response = await get(`${path}?${query}`);
          assert.equal(response.status, 422, `${path}?${query}: ${response.text}`);
          const { error } = response.body as { error: { code: string; fields: Record<string, string[]> } };
          assert.equal(error.code, 'validation_failed');
          assert.deepEqual(Object.keys(error.fields), [field], `${path}?${query}`);
        }
      }
      assert.equal(await countEvents(test.database), before);
    });

    it('exports the matching events as CSV, quoted as RFC 4180 says, formulas neutralised', async () => {
      const user = 'csv-user';
      const agents = [
        'plain agent',
        'comma, inside',
        'a "quoted" word',
        'two\r\nlines',
        '=HYPERLINK("http://evil.example","click")',
        '+1+2',
        '-2+3',
        '@SUM(A1)',
      ];
      await storeEvents(
        test.database,
        agents.map((userAgent, index) => ({
          type: 'sign_in_failed',
          userId: user,
          userAgent,
          actor: 'staff',
          actorId: staffId,
          createdAt: base + index,
          detail: { reason: index === 0 ? 'wrong_password' : '=1+1' },
        })),
      );
      const response = await get(`/api/admin/audit.csv?user=${user}`);
      assert.equal(response.status, 200, response.text);
      assert.match(String(response.headers['content-type']), /^text\/csv/);
      assert.match(String(response.headers['content-disposition']), /^attachment; filename="[\w.-]+\.csv"$/);
      assert.equal(response.headers['cache-control'], 'no-store');
      const text = response.text;
      assert.ok(
        text.startsWith('id,at,type,userId,actor,actorId,sessionId,ip,userAgent,requestId,detail\r\n'),
      );
      assert.ok(text.endsWith('\r\n'));
      assert.ok(text.includes(',"comma, inside",'));
      assert.ok(text.includes(',"a ""quoted"" word",'));
      assert.ok(text.includes(',"two\r\nlines",'));
      assert.ok(text.includes(`,"'=HYPERLINK(""http://evil.example"",""click"")",`));
      assert.ok(text.includes(",'+1+2,"));
      assert.ok(text.includes(",'-2+3,"));
      assert.ok(text.includes(",'@SUM(A1),"));
      assert.ok(text.includes(',plain agent,'));
      // detail is JSON, quoted for its own quotes and commas
      assert.ok(text.includes(',"{""reason"":""wrong_password""}"\r\n'));
      // newest first, one record per event
      const records = parseCsv(text);
      assert.equal(records.length, agents.length + 1);
      assert.deepEqual(
        records.slice(1).map((record) => record[8]),
        agents.map((agent) => (/^[=+\-@]/.test(agent) ? `'${agent}` : agent)).reverse(),
      );
      assert.ok(records.slice(1).every((record) => record[2] === 'sign_in_failed' && record[4] === 'staff'));
    });

    it('exports every matching event, however many pages it reads to do so', async () => {
      const user = 'csv-many';
      const count = 1203;
      await storeEvents(
        test.database,
        Array.from({ length: count }, (_, index) => ({
          type: 'signed_out',
          userId: user,
          createdAt: base + index,
        })),
      );
      const response = await get(`/api/admin/audit.csv?user=${user}&type=signed_out`);
      assert.equal(response.status, 200);
      const records = parseCsv(response.text).slice(1);
      assert.equal(records.length, count);
      assert.equal(new Set(records.map((record) => record[0])).size, count);
      assert.equal(records[0]?.[1], new Date(base + count - 1).toISOString());
      assert.equal(records.at(-1)?.[1], new Date(base).toISOString());
      const empty = await get('/api/admin/audit.csv?user=nobody-at-all');
      assert.equal(empty.status, 200);
      assert.equal(empty.text, 'id,at,type,userId,actor,actorId,sessionId,ip,userAgent,requestId,detail\r\n');
    });

    it('answers 401 to the anonymous and 403 to an account that is not staff, on both routes', async () => {
      const person = await registerUser(test.app);
      for (const path of ['/api/admin/audit', '/api/admin/audit.csv']) {
        const anonymous = await request(test.app, 'GET', path);
        assert.equal(anonymous.status, 401, anonymous.text);
        assert.equal(errorCodeOf(anonymous.body), 'token_missing');
        const user = await get(path, person.token);
        assert.equal(user.status, 403, user.text);
        assert.equal(errorCodeOf(user.body), 'forbidden');
        assert.ok(!user.text.includes('registered'));
      }
    });
  });
}
