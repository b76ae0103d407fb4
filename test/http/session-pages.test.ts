import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialects } from '../support/databases.ts';
import { createFakeClock } from '../support/fake-clock.ts';
import { registerUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import { bearer, obtainPair, sessionRows, type SessionsBody } from './session-shapes.ts';

interface PageBody extends SessionsBody {
  nextCursor: string | null;
}

for (const dialect of dialects) {
  describe(`GET /api/user/sessions a page at a time, on ${dialect}`, () => {
    // a millisecond between sign-ins, so that newest first is one order; the clock never moves a minute,
    // so listing never records use and the rows stay as they were
    const clock = createFakeClock();
    let test: TestApp;
    let user: Awaited<ReturnType<typeof registerUser>>;
    before(async () => {
      test = await startTestApp(dialect, { clock, env: { MAX_SESSIONS_PER_USER: '1000' } });
      user = await registerUser(test.app, 'pages');
      for (let session = 1; session < 120; session += 1) await signIn();
    });
    after(() => test.close());

    async function signIn() {
      clock.advance(1);
      return obtainPair(test.app, user.email, user.password);
    }
    const list = (query: string) =>
      request(test.app, 'GET', `/api/user/sessions${query}`, { headers: bearer(user.token) });
    async function page(query: string): Promise<PageBody> {
      const response = await list(query);
      assert.equal(response.status, 200, response.text);
      return response.body as PageBody;
    }
    async function liveIdsNewestFirst(): Promise<string[]> {
      const rows = await test.database.db
        .selectFrom('sessions')
        .innerJoin('users', 'users.id', 'sessions.user_id')
        .select('sessions.id')
        .where('users.email', '=', user.email)
        .where('sessions.revoked_at', 'is', null)
        .orderBy('sessions.created_at', 'desc')
        .execute();
      return rows.map((row) => row.id);
    }

    it('pages through 120 sessions newest first, sessions opened between pages neither repeated nor shifting them', async () => {
      const existing = await liveIdsNewestFirst();
      assert.equal(existing.length, 120);
      const seen: string[] = [];
      const sizes: number[] = [];
      let cursor: string | null = null;
      do {
        const body: PageBody = await page(
          cursor === null ? '?limit=50' : `?limit=50&cursor=${encodeURIComponent(cursor)}`,
        );
        sizes.push(body.sessions.length);
        seen.push(...body.sessions.map((session) => session.id));
        const created = body.sessions.map((session) => Date.parse(session.createdAt));
        assert.deepEqual(
          created,
          [...created].sort((a, b) => b - a),
        );
        cursor = body.nextCursor;
        // three more sign-ins before the next page is asked for
        for (let more = 0; more < 3; more += 1) await signIn();
      } while (cursor !== null);
      assert.deepEqual(sizes, [50, 50, 20]);
      assert.deepEqual(seen, existing);

      // the first page now starts with the nine opened while paging
      const first = await page('?limit=10');
      const newest = (await liveIdsNewestFirst()).slice(0, 10);
      assert.deepEqual(
        first.sessions.map((session) => session.id),
        newest,
      );
      assert.equal(first.sessions.filter((session) => !existing.includes(session.id)).length, 9);
      assert.equal(first.sessions.filter((session) => session.current).length, 0);
    });

    it('answers 50 sessions when no limit is given and never more than 100, whatever the limit asks', async () => {
      const total = (await liveIdsNewestFirst()).length;
      assert.ok(total > 100, String(total));
      const byDefault = await page('');
      assert.equal(byDefault.sessions.length, 50);
      assert.equal(typeof byDefault.nextCursor, 'string');
      for (const limit of ['100', '101', '1000', '999999999']) {
        assert.equal((await page(`?limit=${limit}`)).sessions.length, 100, limit);
      }
      const one = await page('?limit=1');
      assert.equal(one.sessions.length, 1);
      const last = await page(`?limit=100&cursor=${String(one.nextCursor)}&unknown=ignored`);
      assert.equal(last.sessions.length, 100);
      const rest = await page(`?limit=100&cursor=${String(last.nextCursor)}`);
      assert.equal(rest.sessions.length, total - 101);
      assert.equal(rest.nextCursor, null);
      assert.equal(rest.sessions.at(-1)?.current, true, 'the registration is the oldest session');
    });

    it('refuses a bad limit or cursor with 422 in the Conduit envelope, and changes nothing', async () => {
      const rows = await sessionRows(test.database);
      const valid = (await page('?limit=1')).nextCursor ?? '';
      const badLimits = ['0', '-1', '1.5', 'ten', '', '01', '1e2', '0x10', '+5', '%205', '1000000000'];
      for (const limit of badLimits) {
        const response = await list(`?limit=${limit}`);
        assert.equal(response.status, 422, limit);
        assert.deepEqual(response.body, { errors: { limit: ['is invalid'] } }, limit);
      }
      const twice = await list('?limit=1&limit=2');
      assert.equal(twice.status, 422);
      assert.deepEqual(twice.body, { errors: { limit: ['is invalid'] } });
      const encoded = (text: string) => Buffer.from(text).toString('base64url');
      const badCursors = [
        '',
        'x',
        'not-a-cursor',
        `${valid}A`,
        `${valid}=`,
        encoded('1000:abc\u0000'),
        encoded('1000:abc def'),
        encoded('abc:1000'),
        encodeURIComponent(`${valid}\u0000`),
        '%00',
        '%F0%9F',
        'x'.repeat(201),
      ];
      for (const cursor of badCursors) {
        const response = await list(`?cursor=${cursor}`);
        assert.equal(response.status, 422, cursor);
        assert.deepEqual(response.body, { errors: { cursor: ['is invalid'] } }, cursor);
      }
      const both = await list(`?limit=0&cursor=${'x'.repeat(201)}`);
      assert.equal(both.status, 422);
      assert.deepEqual(both.body, { errors: { limit: ['is invalid'], cursor: ['is invalid'] } });
      assert.deepEqual(await sessionRows(test.database), rows);
    });
  });
}
