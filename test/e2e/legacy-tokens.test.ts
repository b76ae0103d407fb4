import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openDatabase, type Database } from '../../src/store/database.ts';
import { createTestDatabase, dialects, type TestDatabase } from '../support/databases.ts';
import { makeDjangoProject, skipWithoutDjango, type DjangoFixture } from '../support/django-fixtures.ts';
import {
  processEnvironment,
  runCommand,
  startServer,
  type ServerProcess,
} from '../support/server-process.ts';

// The old system's tokens, as Django (the Conduit tutorial, drf-jwt, simplejwt through PyJWT) issued them
// for users import-django brought, against the real binary.

const djangoKey = 'django-insecure-k3y-of-the-old-system-0123456789';
const tokenExp = Math.floor(Date.now() / 1000) + 86_400;
const windowOpen = new Date(Date.now() + 7 * 86_400_000).toISOString();
const newPassword = 'copper-kettle-orchard-31';

describe('legacy Django tokens', { skip: skipWithoutDjango }, () => {
  let fixture: DjangoFixture;
  before(async () => {
    fixture = await makeDjangoProject('auth', djangoKey, tokenExp);
  });

  for (const dialect of dialects) {
    describe(`on ${dialect}`, () => {
      let target: TestDatabase;
      let env: Record<string, string>;
      let server: ServerProcess;
      let database: Database;

      before(async () => {
        target = await createTestDatabase(dialect);
        env = processEnvironment({
          DATABASE_URL: target.url,
          LEGACY_DJANGO_SECRET_KEY: djangoKey,
          LEGACY_TOKENS_UNTIL: windowOpen,
          // every request reads its session: a revocation shows at once
          SESSION_CACHE_TTL: '0',
        });
        assert.equal((await runCommand(['migrate'], { env })).code, 0);
        const imported = await runCommand(['import-django', fixture.database], { env });
        assert.equal(imported.code, 0, imported.stderr);
        server = await startServer({ env });
        database = openDatabase({
          url: target.url,
          poolSize: 1,
          connectTimeout: 5_000,
          statementTimeout: 10_000,
          queryTimeout: 10_000,
        });
      });
      after(async () => {
        await server.stop();
        await database.close();
        await target.drop();
      });

      const userOf = (key: string) => {
        const user = fixture.users.find((candidate) => candidate.key === key);
        assert.ok(user, key);
        return user;
      };
      const me = (token: string) => server.request('GET', '/api/user', { token });
      async function legacyUses(): Promise<number> {
        const response = await server.request('GET', '/metrics');
        return Number(/^gatehouse_legacy_tokens_total (\d+)$/m.exec(response.text)?.[1] ?? 'NaN');
      }
      async function signIn(key: string): Promise<string> {
        const { email, password } = userOf(key);
        const response = await server.request('POST', '/api/users/login', {
          body: { user: { email, password } },
        });
        assert.equal(response.status, 200, response.text);
        return (response.body as { user: { token: string } }).user.token;
      }

      it("accepts the tutorial's, drf-jwt's and simplejwt's tokens for the imported user, counted and audited once each", async () => {
        const before = await legacyUses();
        for (const kind of ['conduit', 'drfJwt', 'simplejwt'] as const) {
          for (const round of [1, 2]) {
            const response = await me(fixture.tokens[kind]);
            assert.equal(response.status, 200, `${kind} (${round}): ${response.text}`);
            assert.equal(
              (response.body as { user: { email: string } }).user.email,
              userOf('pbkdf2_sha256').email,
            );
          }
        }
        // djoser's door, with djoser's JWT scheme
        const djoser = await server.request('GET', '/auth/users/me/', {
          headers: { authorization: `JWT ${fixture.tokens.simplejwt}` },
        });
        assert.equal(djoser.status, 200, djoser.text);
        assert.equal(await legacyUses(), before + 7);
        const events = await database.db
          .selectFrom('audit_events')
          .select(['detail', 'actor'])
          .where('type', '=', 'legacy_token_used')
          .execute();
        assert.deepEqual(events.map((event) => (JSON.parse(event.detail) as { kind: string }).kind).sort(), [
          'conduit',
          'drf-jwt',
          'simplejwt',
        ]);
      });

      it('refuses refresh tokens, another key, users not imported, and inactive users, counting none', async () => {
        const before = await legacyUses();
        for (const token of [
          fixture.tokens.simplejwtRefresh,
          fixture.tokens.otherKey,
          fixture.tokensByUser.invalid ?? '',
          fixture.tokensByUser.dup_old ?? '',
          fixture.tokensByUser.inactive ?? '',
        ]) {
          const response = await me(token);
          assert.equal(response.status, 401, response.text);
          assert.deepEqual(response.body, { errors: { token: ['is invalid or expired'] } });
        }
        assert.equal(await legacyUses(), before);
      });

      it('refuses every legacy token of a user who signs out everywhere, used before or not', async () => {
        const used = fixture.tokensByUser.argon2id ?? '';
        assert.equal((await me(used)).status, 200);
        const token = await signIn('argon2id');
        const logout = await server.request('POST', '/api/users/logout', { token, body: { scope: 'all' } });
        assert.equal(logout.status, 204, logout.text);
        assert.equal((await me(used)).status, 401);
        // a drf-jwt token of the same user, never presented before, is refused too
        assert.equal((await me(fixture.unseenTokensByUser.argon2id ?? '')).status, 401);
        const row = await database.db
          .selectFrom('users')
          .select('legacy_tokens_revoked_at')
          .where('legacy_id', '=', String(userOf('argon2id').id))
          .executeTakeFirstOrThrow();
        assert.notEqual(row.legacy_tokens_revoked_at, null);
      });

      it('refuses them once the user changes their password', async () => {
        const legacy = fixture.tokensByUser.bcrypt ?? '';
        assert.equal((await me(legacy)).status, 200);
        const token = await signIn('bcrypt');
        const changed = await server.request('POST', '/api/user/password', {
          token,
          body: { current_password: userOf('bcrypt').password, new_password: newPassword },
        });
        assert.equal(changed.status, 204, changed.text);
        // its session ended with the others; a refused token is not counted as a use
        const uses = await legacyUses();
        assert.equal((await me(legacy)).status, 401);
        assert.equal(await legacyUses(), uses);
        // and one never presented before
        assert.equal((await me(fixture.unseenTokensByUser.bcrypt ?? '')).status, 401);
      });

      it('checks a current password against a Django hash as typed, before any sign-in upgraded it', async () => {
        // djoser's set_password/ under the old token: the user has not signed in to Gatehouse yet
        const legacy = fixture.tokensByUser.nfkc ?? '';
        const { password, storedHash } = userOf('nfkc');
        const setPassword = (current: string) =>
          server.request('POST', '/auth/users/set_password/', {
            headers: { authorization: `JWT ${legacy}` },
            body: { current_password: current, new_password: newPassword },
          });
        const hashOf = async () =>
          (
            await database.db
              .selectFrom('users')
              .select('password_hash')
              .where('legacy_id', '=', String(userOf('nfkc').id))
              .executeTakeFirstOrThrow()
          ).password_hash;
        // its NFKC form is not what Django hashed
        const refused = await setPassword(password.normalize('NFKC'));
        assert.equal(refused.status, 400, refused.text);
        assert.deepEqual(refused.body, { current_password: ['Invalid password.'] });
        assert.equal(await hashOf(), storedHash);
        const changed = await setPassword(password);
        assert.equal(changed.status, 204, changed.text);
        assert.match(await hashOf(), /^\$argon2id\$/);
      });

      it('refuses them once the user is deactivated', async () => {
        const legacy = fixture.tokensByUser.scrypt ?? '';
        assert.equal((await me(legacy)).status, 200);
        const token = await signIn('scrypt');
        const deactivated = await server.request('DELETE', '/api/user', {
          token,
          body: { current_password: userOf('scrypt').password },
        });
        assert.equal(deactivated.status, 204, deactivated.text);
        assert.equal((await me(legacy)).status, 401);
        assert.equal((await me(fixture.unseenTokensByUser.scrypt ?? '')).status, 401);
      });

      it('refuses every one after LEGACY_TOKENS_UNTIL, even one that worked, counting none', async () => {
        const closed = await startServer({
          env: { ...env, LEGACY_TOKENS_UNTIL: new Date(Date.now() - 60_000).toISOString() },
        });
        try {
          for (const token of [fixture.tokens.conduit, fixture.tokensByUser.bcrypt_sha256 ?? '']) {
            const response = await closed.request('GET', '/api/user', { token });
            assert.equal(response.status, 401, response.text);
          }
          const metrics = await closed.request('GET', '/metrics');
          assert.match(metrics.text, /^gatehouse_legacy_tokens_total 0$/m);
        } finally {
          await closed.stop();
        }
        // a Gatehouse token is unaffected
        assert.equal((await me(await signIn('pbkdf2_sha1'))).status, 200);
      });
    });
  }
});
