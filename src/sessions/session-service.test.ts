// The session service over a real store, real access and refresh tokens and a real key ring; the change
// feed, the metrics and the clock are fakes that record what they are told.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { openMemoryDatabase } from '../../test/store/migrated-database.ts';
import { createFakeClock } from '../../test/support/fake-clock.ts';
import { sessionServiceOver } from '../../test/support/session-service.ts';
import type { Grant, Grants } from '../accounts/ports.ts';
import type { RequestContext } from '../context.ts';
import { GatehouseError } from '../errors.ts';
import { ignoreMetrics, type RefreshOutcome } from '../metrics/metrics.ts';

const cacheTtl = 5_000;
const client: RequestContext = { requestId: 'test', ip: '192.0.2.1', userAgent: 'test' };

/** What the fake change feed was told, in order. */
type Announcement = { sessionRevoked: string } | { userChanged: string };

async function createWorld() {
  const memory = await openMemoryDatabase();
  const clock = createFakeClock();
  const signedFor: string[] = [];
  const announced: Announcement[] = [];
  const refreshed: RefreshOutcome[] = [];
  const { service, store } = sessionServiceOver(memory.database, clock, (defaults) => ({
    tokens: {
      sign(subject, ttl) {
        signedFor.push(subject.sessionId);
        return defaults.tokens.sign(subject, ttl);
      },
      verify: (token) => defaults.tokens.verify(token),
      ready: () => defaults.tokens.ready(),
    },
    changes: {
      sessionRevoked(sessionId) {
        announced.push({ sessionRevoked: sessionId });
        return Promise.resolve();
      },
      userChanged(userId) {
        announced.push({ userChanged: userId });
        return Promise.resolve();
      },
    },
    metrics: {
      ...ignoreMetrics,
      refreshed(outcome) {
        refreshed.push(outcome);
      },
    },
    cacheTtl,
  }));
  const inserted = await store.users.insert({
    id: randomUUID(),
    email: 'alice@example.com',
    username: 'alice',
    passwordHash: 'not-checked-here',
    createdAt: clock.now(),
  });
  assert.ok(inserted.ok);
  const user = inserted.value;

  return {
    service,
    store,
    clock,
    user,
    signedFor,
    announced,
    refreshed,
    /** Opens a session as a login does (in a unit of its own) and issues what `grant` names. */
    async signIn<G extends Grant>(grant: G): Promise<Grants[G]> {
      const { issue } = await store.transaction((unit) => service.open(unit, user, client, grant));
      return issue();
    },
    /** Every stored row of a table: what a rolled-back unit must not leave behind. */
    rows: (table: 'sessions' | 'refresh_tokens') =>
      memory.database.db.selectFrom(table).selectAll().execute(),
    close: () => memory.close(),
  };
}

type World = Awaited<ReturnType<typeof createWorld>>;

/** Resolves when `promise` rejects with a GatehouseError of `code`. */
async function assertRefused(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error) => error instanceof GatehouseError && error.code === code);
}

describe('session service', () => {
  let world: World;
  beforeEach(async () => {
    world = await createWorld();
  });
  afterEach(() => world.close());

  describe('endAll', () => {
    it('announces the change only after the unit commits, and refuses the ended tokens from then on', async () => {
      const { accessToken } = await world.signIn('access-token');
      await world.service.authenticate(accessToken);

      await world.store.transaction(async (unit) => {
        await world.service.endAll(unit, world.user.id, 'password_changed');
        assert.deepEqual(world.announced, [], 'announced before the commit');
      });
      assert.deepEqual(world.announced, [{ userChanged: world.user.id }]);
      // the cached copy went with the announcement: refused at once, not once the cache expires
      await assertRefused(world.service.authenticate(accessToken), 'token_invalid');
    });

    it('announces nothing and keeps accepting the tokens when the unit rolls back', async () => {
      const { accessToken } = await world.signIn('access-token');
      const caller = await world.service.authenticate(accessToken);
      const failure = new Error('a later write in the unit failed');

      await assert.rejects(
        world.store.transaction(async (unit) => {
          await world.service.endAll(unit, world.user.id, 'password_changed');
          throw failure;
        }),
        failure,
      );
      assert.deepEqual(world.announced, []);
      assert.equal((await world.service.authenticate(accessToken)).session.id, caller.session.id);
      // and once the cached copy has expired, the database says the same
      world.clock.advance(cacheTtl);
      assert.equal((await world.service.authenticate(accessToken)).session.revokedAt, null);
    });

    it('keeps the session it is told to keep', async () => {
      const kept = await world.signIn('access-token');
      const ended = await world.signIn('access-token');
      const keep = (await world.service.authenticate(kept.accessToken)).session.id;
      await world.service.authenticate(ended.accessToken);

      await world.store.transaction((unit) =>
        world.service.endAll(unit, world.user.id, 'password_changed', keep),
      );
      await world.service.authenticate(kept.accessToken);
      await assertRefused(world.service.authenticate(ended.accessToken), 'token_invalid');
    });
  });

  describe('open', () => {
    it('returns an issuer that signs nothing until it is called, after the unit has committed', async () => {
      const { sessionId, issue } = await world.store.transaction(async (unit) => {
        const opened = await world.service.open(unit, world.user, client, 'access-token');
        assert.deepEqual(world.signedFor, []);
        return opened;
      });
      assert.deepEqual(world.signedFor, []);
      const { accessToken } = await issue();
      const caller = await world.service.authenticate(accessToken);
      assert.equal(caller.session.id, sessionId);
      assert.deepEqual(world.signedFor, [caller.session.id]);
      assert.equal(caller.user.id, world.user.id);
      assert.equal(caller.session.ip, client.ip);
    });

    it("records a token pair's refresh token in the unit that opens the session", async () => {
      const pair = await world.signIn('token-pair');
      const caller = await world.service.authenticate(pair.accessToken);
      const rows = await world.rows('refresh_tokens');
      assert.deepEqual(
        rows.map((row) => ({ sessionId: row.session_id, rotatedAt: row.rotated_at })),
        [{ sessionId: caller.session.id, rotatedAt: null }],
      );
      assert.equal(await world.service.isTokenLive(pair.refreshToken), true);
    });

    it('leaves neither session nor refresh token when the unit rolls back', async () => {
      const failure = new Error('a later write in the unit failed');
      await assert.rejects(
        world.store.transaction(async (unit) => {
          await world.service.open(unit, world.user, client, 'token-pair');
          throw failure;
        }),
        failure,
      );
      assert.deepEqual(await world.rows('sessions'), []);
      assert.deepEqual(await world.rows('refresh_tokens'), []);
      assert.deepEqual(world.signedFor, []);
    });
  });

  describe('isTokenLive', () => {
    it('is true for a live access token and for the live refresh token', async () => {
      const pair = await world.signIn('token-pair');
      assert.equal(await world.service.isTokenLive(pair.accessToken), true);
      assert.equal(await world.service.isTokenLive(pair.refreshToken), true);
    });

    it('is false for a spent refresh token, the tokens of a revoked session, and garbage', async () => {
      const spent = await world.signIn('token-pair');
      const renewed = await world.service.refresh(spent.refreshToken, client);
      assert.equal(await world.service.isTokenLive(spent.refreshToken), false);
      assert.equal(await world.service.isTokenLive(renewed.refreshToken), true);

      const revoked = await world.signIn('token-pair');
      const caller = await world.service.authenticate(revoked.accessToken);
      await world.service.logout({ ...client, caller }, 'session');
      assert.equal(await world.service.isTokenLive(revoked.accessToken), false);
      assert.equal(await world.service.isTokenLive(revoked.refreshToken), false);

      for (const garbage of ['', 'garbage', 'a.b.c', `${renewed.refreshToken}x`, 'x'.repeat(43)]) {
        assert.equal(await world.service.isTokenLive(garbage), false, garbage);
      }
    });

    it('never spends the refresh token it checks', async () => {
      const pair = await world.signIn('token-pair');
      assert.equal(await world.service.isTokenLive(pair.refreshToken), true);
      assert.equal(await world.service.isTokenLive(pair.refreshToken), true);
      const renewed = await world.service.refresh(pair.refreshToken, client);
      assert.deepEqual(world.refreshed, ['rotated']);
      assert.notEqual(renewed.refreshToken, pair.refreshToken);
    });
  });

  describe('refresh', () => {
    it('rotates once when two refreshes of one token arrive together', async () => {
      const pair = await world.signIn('token-pair');
      const [first, second] = await Promise.all([
        world.service.refresh(pair.refreshToken, client),
        world.service.refresh(pair.refreshToken, client),
      ]);
      assert.deepEqual([...world.refreshed].sort(), ['replayed', 'rotated']);
      // both callers hold the one live successor
      assert.equal(first.refreshToken, second.refreshToken);
      assert.notEqual(first.refreshToken, pair.refreshToken);
      const rows = await world.rows('refresh_tokens');
      assert.equal(rows.length, 2);
      assert.equal(rows.filter((row) => row.rotated_at === null).length, 1);
      // a replay within the grace period is no theft: the session lives on
      assert.equal(await world.service.isTokenLive(first.refreshToken), true);
      await world.service.authenticate(first.accessToken);
      await world.service.authenticate(second.accessToken);
    });
  });
});
