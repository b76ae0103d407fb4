import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../src/clock.ts';
import { createKeyRing } from '../../src/keys/key-ring.ts';
import { openDatabase } from '../../src/store/database.ts';
import { createSigningKeyRepository } from '../../src/store/signing-key-repository.ts';
import { keyRetention } from '../../src/keys/key-lifecycle.ts';
import { createTestDatabase, dialects, type TestDatabase } from '../support/databases.ts';
import { poll } from '../support/poll.ts';
import { linesOf, processEnvironment, runCommand, startServer } from '../support/server-process.ts';
import { newUser } from '../support/test-app.ts';
import { liveClaims, partsOf, signToken } from '../http/forged-tokens.ts';

const iso = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`;
// the defaults: CONDUIT_TOKEN_TTL (60 days) is the longest token lifetime
const defaultRetention = keyRetention(60 * 86_400_000);

function assertRecent(text: string | undefined): void {
  assert.ok(
    text !== undefined && Math.abs(Date.parse(text) - Date.now()) < 5 * 60_000,
    `not a recent time: ${text}`,
  );
}

for (const dialect of dialects) {
  describe(`gatehouse keys on ${dialect}`, () => {
    let database: TestDatabase;
    let env: Record<string, string>;
    before(async () => {
      database = await createTestDatabase(dialect);
      env = processEnvironment({ DATABASE_URL: database.url });
      const migrated = await runCommand(['migrate'], { env });
      assert.equal(migrated.code, 0, migrated.stderr);
    });
    after(() => database.drop());

    async function keys(args: string[], overrides: Record<string, string> = {}) {
      return runCommand(['keys', ...args], { env: { ...env, ...overrides } });
    }
    async function listed(): Promise<string[][]> {
      const result = await keys(['list']);
      assert.equal(result.code, 0, result.stderr);
      return linesOf(result.stdout).map((line) => line.split('\t'));
    }

    let firstKid: string;
    let secondKid: string;

    it('says there is no key yet on a fresh database', async () => {
      const result = await keys(['list']);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(linesOf(result.stdout), [
        'no signing keys yet: a server makes the first once it listens',
      ]);
    });

    it('rotate makes a key of JWT_ALGORITHM the signer; list shows it signing', async () => {
      const result = await keys(['rotate']);
      assert.equal(result.code, 0, result.stderr);
      const match = /^(\S+) \(EdDSA\) signs from now on; running servers switch within 60 s$/.exec(
        linesOf(result.stdout)[0] ?? '',
      );
      assert.ok(match?.[1] !== undefined, result.stdout);
      firstKid = match[1];
      assert.equal(linesOf(result.stdout).length, 1, result.stdout);

      const [row, ...others] = await listed();
      assert.deepEqual(others, []);
      assert.deepEqual(row?.slice(0, 3), [firstKid, 'EdDSA', 'signing']);
      assert.match(row[3] ?? '', new RegExp(`^${iso}$`));
      assertRecent(row[3]);

      // the audit log says so, as done by the system (an operator at the CLI, not a request)
      const direct = openDatabase({
        url: database.url,
        poolSize: 1,
        connectTimeout: 5000,
        statementTimeout: 5000,
        queryTimeout: 6000,
      });
      try {
        const events = await direct.db
          .selectFrom('audit_events')
          .select(['type', 'actor', 'detail'])
          .where('type', '=', 'key_rotated')
          .execute();
        assert.deepEqual(events, [
          {
            type: 'key_rotated',
            actor: 'system',
            detail: JSON.stringify({ action: 'rotate', kid: firstKid, algorithm: 'EdDSA' }),
          },
        ]);
      } finally {
        await direct.close();
      }
    });

    it('rotate --algorithm ES256 makes an ES256 key the signer; the old key verifies until its tokens expire', async () => {
      const result = await keys(['rotate', '--algorithm', 'ES256']);
      assert.equal(result.code, 0, result.stderr);
      const [signs, verifies, note, ...rest] = linesOf(result.stdout);
      assert.deepEqual(rest, []);
      const match = /^(\S+) \(ES256\) signs from now on/.exec(signs ?? '');
      assert.ok(match?.[1] !== undefined, result.stdout);
      secondKid = match[1];
      const until = new RegExp(`^${firstKid} \\(EdDSA\\) verifies until (${iso})$`).exec(verifies ?? '');
      assert.ok(until?.[1] !== undefined, result.stdout);
      assertRecent(new Date(Date.parse(until[1]) - defaultRetention).toISOString());
      assert.equal(
        note,
        'note: servers sign with it whatever their JWT_ALGORITHM; set JWT_ALGORITHM=ES256 to match (it is EdDSA)',
      );

      const rows = await listed();
      assert.deepEqual(
        rows.map((row) => row.slice(0, 3)),
        [
          [secondKid, 'ES256', 'signing'],
          [firstKid, 'EdDSA', 'verifying-only'],
        ],
      );
    });

    it('lists a key whose tokens have all expired as retired', async () => {
      const direct = openDatabase({
        url: database.url,
        poolSize: 1,
        connectTimeout: 5000,
        statementTimeout: 5000,
        queryTimeout: 6000,
      });
      try {
        const longAgo = Date.now() - defaultRetention - 60_000;
        await direct.db
          .updateTable('signing_keys')
          .set({ retired_at: longAgo })
          .where('kid', '=', firstKid)
          .execute();
      } finally {
        await direct.close();
      }
      const rows = await listed();
      assert.deepEqual(
        rows.map((row) => row.slice(0, 3)),
        [
          [secondKid, 'ES256', 'signing'],
          [firstKid, 'EdDSA', 'retired'],
        ],
      );
    });

    it('refuses bad arguments with one line on stderr and exit 2, changing nothing', async () => {
      const before = await listed();
      const attempts = [
        [],
        ['spin'],
        ['rotate', '--algorithm', 'HS256'],
        ['rotate', '--algorithm', 'es256'],
        ['rotate', '--algorithm'],
        ['rotate', 'now'],
        ['list', '--all'],
      ];
      const results = await Promise.all(attempts.map((args) => keys(args)));
      for (const [index, result] of results.entries()) {
        const label = `keys ${attempts[index]?.join(' ') ?? ''}: ${result.stderr}`;
        assert.equal(result.code, 2, label);
        assert.equal(linesOf(result.stderr).length, 1, label);
        assert.match(result.stderr, /^gatehouse keys: /);
        assert.equal(result.stdout, '');
      }
      assert.deepEqual(await listed(), before);
    });

    it('is left alone by user-management commands, whatever JWT_ALGORITHM they run with', async () => {
      const before = await listed();
      const created = await runCommand(
        ['createsuperuser', '--email', 'keys-admin@example.com', '--username', 'keysadmin', '--no-input'],
        {
          env: {
            ...env,
            JWT_ALGORITHM: 'RS256',
            GATEHOUSE_SUPERUSER_PASSWORD: 'a-long-admin-passphrase',
          },
        },
      );
      assert.equal(created.code, 0, created.stderr);
      const changed = await runCommand(['changepassword', 'keys-admin@example.com'], {
        env: { ...env, JWT_ALGORITHM: 'HS256' },
        input: 'another-admin-passphrase\n',
      });
      assert.equal(changed.code, 0, changed.stderr);
      assert.deepEqual(await listed(), before);
    });

    it('refuses to rotate under JWT_ALGORITHM=HS256, whose key is SECRET_KEY, and lists that key first, the stored ones verifying', async () => {
      const before = await listed();
      const result = await keys(['rotate'], { JWT_ALGORITHM: 'HS256' });
      assert.equal(result.code, 1, result.stderr);
      assert.deepEqual(linesOf(result.stderr), [
        'gatehouse keys: JWT_ALGORITHM is HS256, whose key is SECRET_KEY itself: there is no stored key to rotate',
      ]);
      assert.deepEqual(await listed(), before);

      const symmetric = await keys(['list'], { JWT_ALGORITHM: 'HS256' });
      assert.equal(symmetric.code, 0, symmetric.stderr);
      const [first, ...stored] = linesOf(symmetric.stdout).map((line) => line.split('\t'));
      assert.match(first?.[0] ?? '', /^hs256-/);
      assert.deepEqual(first?.slice(1), ['HS256', 'signing', '-']);
      // the stored signer signs no more under HS256: it verifies until `keys retire` starts its countdown
      assert.deepEqual(
        stored,
        before.map(([kid, algorithm, state, created]) => [
          kid,
          algorithm,
          state === 'signing' ? 'verifying-only' : state,
          created,
        ]),
      );
    });

    it('refuses to rotate with another SECRET_KEY than the stored keys were sealed with', async () => {
      const before = await listed();
      const result = await keys(['rotate'], { SECRET_KEY: randomBytes(32).toString('base64url') });
      assert.equal(result.code, 1, result.stderr);
      assert.deepEqual(linesOf(result.stderr), [
        `gatehouse keys: SECRET_KEY does not open signing key ${secondKid} (was it changed?)`,
      ]);
      assert.deepEqual(await listed(), before);
    });

    it('retire refuses unless JWT_ALGORITHM=HS256, since a server of another algorithm would make a new key', async () => {
      const before = await listed();
      const result = await keys(['retire']);
      assert.equal(result.code, 1, result.stderr);
      assert.deepEqual(linesOf(result.stderr), [
        'gatehouse keys: JWT_ALGORITHM is EdDSA: a server would make itself a new key at its next signing; `gatehouse keys rotate` replaces the signer',
      ]);
      assert.deepEqual(await listed(), before);
    });

    it('retire under HS256 stops the stored signer; it verifies until its tokens expire', async () => {
      const result = await keys(['retire'], { JWT_ALGORITHM: 'HS256' });
      assert.equal(result.code, 0, result.stderr);
      const [said, verifies, ...rest] = linesOf(result.stdout);
      assert.deepEqual(rest, []);
      assert.equal(said, 'the stored keys sign no more; running servers see it within 60 s');
      const until = new RegExp(`^${secondKid} \\(ES256\\) verifies until (${iso})$`).exec(verifies ?? '');
      assert.ok(until?.[1] !== undefined, result.stdout);
      assertRecent(new Date(Date.parse(until[1]) - defaultRetention).toISOString());
      assert.deepEqual(
        (await listed()).map((row) => row.slice(0, 3)),
        [
          [secondKid, 'ES256', 'verifying-only'],
          [firstKid, 'EdDSA', 'retired'],
        ],
      );

      const again = await keys(['retire'], { JWT_ALGORITHM: 'HS256' });
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(linesOf(again.stdout).slice(0, 1), ['no stored key was signing: nothing changed']);
    });
  });

  describe(`a start never rotates, on ${dialect}`, () => {
    let database: TestDatabase;
    let env: Record<string, string>;
    before(async () => {
      database = await createTestDatabase(dialect);
      env = processEnvironment({ DATABASE_URL: database.url });
      const migrated = await runCommand(['migrate'], { env });
      assert.equal(migrated.code, 0, migrated.stderr);
    });
    after(() => database.drop());

    async function listed(): Promise<string[]> {
      const result = await runCommand(['keys', 'list'], { env });
      assert.equal(result.code, 0, result.stderr);
      return linesOf(result.stdout);
    }

    /** `gatehouse serve` on a port another process holds: it must fail, and leave the key table as it was. */
    async function serveOnTakenPort(overrides: Record<string, string> = {}): Promise<void> {
      const holder = createServer();
      await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
      try {
        const port = String((holder.address() as AddressInfo).port);
        const result = await runCommand(['serve'], { env: { ...env, ...overrides, PORT: port } });
        assert.equal(result.code, 1, result.stderr);
        assert.match(result.stderr, /^gatehouse serve: .*EADDRINUSE/);
      } finally {
        await new Promise((resolve) => holder.close(resolve));
      }
    }

    it('leaves the key table untouched when serve cannot listen (port taken)', async () => {
      await serveOnTakenPort();
      assert.deepEqual(await listed(), ['no signing keys yet: a server makes the first once it listens']);

      const rotated = await runCommand(['keys', 'rotate', '--algorithm', 'ES256'], { env });
      assert.equal(rotated.code, 0, rotated.stderr);
      const before = await listed();
      await serveOnTakenPort();
      await serveOnTakenPort({ JWT_ALGORITHM: 'RS256' });
      await serveOnTakenPort({ JWT_ALGORITHM: 'HS256' });
      assert.deepEqual(await listed(), before);
    });

    it('keeps signing with the ES256 key `keys rotate --algorithm ES256` made when started with the default JWT_ALGORITHM, and says so once', async () => {
      const before = await listed();
      const [signer] = before.map((line) => line.split('\t'));
      assert.deepEqual(signer?.slice(1, 3), ['ES256', 'signing']);
      const kid = signer[0] ?? '';
      for (let start = 0; start < 2; start += 1) {
        const server = await startServer({ env });
        try {
          const registered = await server.request('POST', '/api/users', { body: { user: newUser('keep') } });
          assert.equal(registered.status, 201, registered.text);
          const { header } = partsOf((registered.body as { user: { token: string } }).user.token);
          assert.deepEqual([header.alg, header.kid], ['ES256', kid]);
          const warnings = server.stdout.filter((line) => line.includes('JWT_ALGORITHM'));
          assert.equal(warnings.length, 1, warnings.join('\n'));
          const warning = JSON.parse(warnings[0] ?? '{}') as { level: number; msg: string };
          assert.equal(warning.level, 40);
          assert.equal(
            warning.msg,
            `JWT_ALGORITHM is EdDSA but the stored signing key ${kid} is ES256: signing with it; \`gatehouse keys rotate --algorithm EdDSA\` makes an EdDSA key the signer`,
          );
        } finally {
          await server.stop();
        }
      }
      assert.deepEqual(await listed(), before);
    });
  });

  describe(`the first signing key on ${dialect}`, () => {
    let database: TestDatabase;
    before(async () => {
      database = await createTestDatabase(dialect);
    });
    after(() => database.drop());

    it('is made of JWT_ALGORITHM by a server once it listens', async () => {
      const env = processEnvironment({ DATABASE_URL: database.url, JWT_ALGORITHM: 'RS256' });
      const server = await startServer({ env });
      try {
        const rows = await poll(
          async () => {
            const result = await runCommand(['keys', 'list'], { env });
            return linesOf(result.stdout).map((line) => line.split('\t').slice(1, 3));
          },
          (answer) => (answer[0]?.length ?? 0) > 0,
        );
        assert.deepEqual(rows, [['RS256', 'signing']]);
        const jwks = await server.request('GET', '/.well-known/jwks.json');
        assert.deepEqual(
          (jwks.body as { keys: Array<{ alg: string }> }).keys.map((key) => key.alg),
          ['RS256'],
        );
      } finally {
        await server.stop();
      }
    });
  });

  describe(`gatehouse keys rotate under a running server on ${dialect}`, () => {
    let database: TestDatabase;
    before(async () => {
      database = await createTestDatabase(dialect);
    });
    after(() => database.drop());

    it('leaves earlier tokens working, and the server signs with the new key once a token names it', async () => {
      const env = processEnvironment({ DATABASE_URL: database.url });
      const server = await startServer({ env });
      try {
        const user = newUser('rotation');
        const registered = await server.request('POST', '/api/users', { body: { user } });
        assert.equal(registered.status, 201, registered.text);
        const earlier = (registered.body as { user: { token: string } }).user.token;
        const firstKid = partsOf(earlier).header.kid;

        const rotation = await runCommand(['keys', 'rotate'], { env });
        assert.equal(rotation.code, 0, rotation.stderr);
        const newKid = /^(\S+) \(EdDSA\) signs from now on/.exec(rotation.stdout)?.[1];
        assert.ok(newKid !== undefined && newKid !== firstKid, rotation.stdout);
        assert.equal((await server.request('GET', '/api/user', { token: earlier })).status, 200);

        // a token under the new kid, made in this process from the same table and SECRET_KEY
        const direct = openDatabase({
          url: database.url,
          poolSize: 1,
          connectTimeout: 5000,
          statementTimeout: 5000,
          queryTimeout: 6000,
        });
        let named: string;
        try {
          const ring = createKeyRing({
            repository: createSigningKeyRepository(direct),
            secretKey: env.SECRET_KEY ?? '',
            algorithm: 'EdDSA',
            clock: systemClock,
            newId: randomUUID,
            maxTokenLifetime: 60 * 86_400_000,
            onReloadFailure: (error) => {
              throw error;
            },
            onAlgorithmOverridden: () => {},
          });
          const signer = await ring.signer();
          assert.equal(signer.kid, newKid);
          named = await signToken(signer, liveClaims(partsOf(earlier).claims, Date.now()));
        } finally {
          await direct.close();
        }
        assert.equal((await server.request('GET', '/api/user', { token: named })).status, 200);

        const login = await server.request('POST', '/api/users/login', {
          body: { user: { email: user.email, password: user.password } },
        });
        assert.equal(login.status, 200, login.text);
        const later = (login.body as { user: { token: string } }).user.token;
        assert.equal(partsOf(later).header.kid, newKid);
        const jwks = await server.request('GET', '/.well-known/jwks.json');
        const kids = (jwks.body as { keys: Array<{ kid: string }> }).keys.map((key) => key.kid).sort();
        assert.deepEqual(kids, [firstKid, newKid].sort());
      } finally {
        await server.stop();
      }
    });
  });
}
