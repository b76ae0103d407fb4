import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialects } from '../support/databases.ts';
import { newUser, registerUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import type { ErrorBody, UserBody } from './conduit-shapes.ts';
import { countUsers, readUser } from './user-rows.ts';

for (const dialect of dialects) {
  describe(`registration (POST /api/users) on ${dialect}`, () => {
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect);
    });
    after(() => test.close());

    /** Posts a registration that must be refused with 422 and must leave the users table as it was. */
    async function expectRefused(body: unknown): Promise<ErrorBody> {
      const before = await countUsers(test.database);
      const response = await request(test.app, 'POST', '/api/users', { body });
      assert.equal(response.status, 422, response.text);
      assert.equal(await countUsers(test.database), before, 'a refused registration created a user');
      return response.body as ErrorBody;
    }

    it('answers 201 with the user, null bio and image, and a token that works', async () => {
      const user = newUser();
      const response = await request(test.app, 'POST', '/api/users', { body: { user } });
      assert.equal(response.status, 201);
      const body = response.body as UserBody;
      assert.deepEqual(Object.keys(body), ['user']);
      assert.deepEqual(Object.keys(body.user).sort(), ['bio', 'email', 'image', 'token', 'username']);
      assert.equal(body.user.email, user.email);
      assert.equal(body.user.username, user.username);
      assert.equal(body.user.bio, null);
      assert.equal(body.user.image, null);
      assert.match(body.user.token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
      assert.equal(response.headers['cache-control'], 'no-store');

      const current = await request(test.app, 'GET', '/api/user', { token: body.user.token });
      assert.equal(current.status, 200);
    });

    it('stores an argon2id hash, an active non-staff account and no verified address', async () => {
      const user = await registerUser(test.app);
      const stored = await readUser(test.database, user.email);
      assert.match(stored.passwordHash, /^\$argon2id\$/);
      assert.ok(!stored.passwordHash.includes(user.password));
      assert.equal(stored.isActive, true);
      assert.equal(stored.isStaff, false);
      assert.equal(stored.isSuperuser, false);
      assert.equal(stored.emailVerifiedAt, null);
      assert.equal(stored.lastLoginAt, null);
    });

    it('trims the email and stores it with the casing it was given', async () => {
      const { username, password } = newUser();
      const email = `  ${username.toUpperCase()}@Example.COM \t`;
      const response = await request(test.app, 'POST', '/api/users', {
        body: { user: { username, email, password } },
      });
      assert.equal(response.status, 201, response.text);
      const expected = `${username.toUpperCase()}@Example.COM`;
      assert.equal((response.body as UserBody).user.email, expected);
      assert.equal((await readUser(test.database, expected)).email, expected);
    });

    it('refuses an email that differs from a registered one only in casing', async () => {
      const first = await registerUser(test.app);
      const body = await expectRefused({
        user: { ...newUser(), email: first.email.toUpperCase() },
      });
      assert.deepEqual(body, { errors: { email: ['has already been taken'] } });
    });

    it('refuses a username that differs from a registered one only in casing', async () => {
      const first = await registerUser(test.app);
      const body = await expectRefused({
        user: { ...newUser(), username: first.username.toUpperCase() },
      });
      assert.deepEqual(body, { errors: { username: ['has already been taken'] } });
    });

    it('refuses a username that differs only in casing beyond ASCII: final sigma, sharp s, old Cyrillic', async () => {
      const suffix = newUser().username.slice(-6);
      // typed lower case first, then a form JavaScript's toLowerCase alone would have kept apart
      const pairs: Array<[string, string]> = [
        // lower case gives "ας" for a capital sigma that ends a word, "ασ" before a letter: each pair stays
        // apart under lower case whatever the random suffix holds
        [`${suffix}ασ`, `${suffix}ΑΣ`],
        [`αςz${suffix}`, `ΑΣZ${suffix}`],
        [`straße${suffix}`, `STRASSE${suffix}`],
        [`ẞ${suffix}`, `ss${suffix}`],
        [`в${suffix}`, `ᲀ${suffix}`],
      ];
      for (const [first, second] of pairs) {
        const { email, password } = newUser();
        const created = await request(test.app, 'POST', '/api/users', {
          body: { user: { username: first, email, password } },
        });
        assert.equal(created.status, 201, created.text);
        const body = await expectRefused({ user: { ...newUser(), username: second } });
        assert.deepEqual(body, { errors: { username: ['has already been taken'] } }, second);
        const profile = await request(test.app, 'GET', `/api/profiles/${encodeURIComponent(second)}`);
        assert.equal(profile.status, 200, second);
        assert.equal((profile.body as { profile: { username: string } }).profile.username, first);
      }
    });

    it('reports both the email and the username when both are taken', async () => {
      const first = await registerUser(test.app);
      const body = await expectRefused({
        user: { username: first.username, email: first.email, password: 'another-long-passphrase' },
      });
      assert.deepEqual(body, {
        errors: { email: ['has already been taken'], username: ['has already been taken'] },
      });
    });

    it('stores the username NFKC-normalised', async () => {
      const { email, password } = newUser();
      const suffix = email.slice(4, 10);
      // full-width letters and the "ﬁ" ligature become plain ASCII under NFKC
      const response = await request(test.app, 'POST', '/api/users', {
        body: { user: { username: `ｊｏｈｎ\uFB01${suffix}`, email, password } },
      });
      assert.equal(response.status, 201, response.text);
      assert.equal((response.body as UserBody).user.username, `johnfi${suffix}`);
      assert.equal((await readUser(test.database, email)).username, `johnfi${suffix}`);
    });

    it('treats a username equal under NFKC to a registered one as taken', async () => {
      const first = await registerUser(test.app, 'plain');
      const fullWidth = Array.from(first.username, (character) =>
        /[a-z0-9]/.test(character)
          ? String.fromCodePoint((character.codePointAt(0) ?? 0) + 0xfee0)
          : character,
      ).join('');
      assert.notEqual(fullWidth, first.username);
      const body = await expectRefused({ user: { ...newUser(), username: fullWidth } });
      assert.deepEqual(body, { errors: { username: ['has already been taken'] } });
    });

    it('accepts letters of any script, digits, underscore, dot and hyphen in a username', async () => {
      const { email, password } = newUser();
      const username = `Zoë_Łódź-東京.${email.slice(4, 10)}`;
      const response = await request(test.app, 'POST', '/api/users', {
        body: { user: { username, email, password } },
      });
      assert.equal(response.status, 201, response.text);
      assert.equal((response.body as UserBody).user.username, username);
    });

    it('accepts a username of exactly 64 characters', async () => {
      const { email, password } = newUser();
      const username = `u${email.slice(4, 10)}`.padEnd(64, 'x');
      const response = await request(test.app, 'POST', '/api/users', {
        body: { user: { username, email, password } },
      });
      assert.equal(response.status, 201, response.text);
    });

    it('refuses a username of 65 characters', async () => {
      const body = await expectRefused({ user: { ...newUser(), username: 'u'.repeat(65) } });
      assert.deepEqual(Object.keys(body.errors), ['username']);
    });

    for (const username of [
      'has space',
      'slash/name',
      'at@sign',
      'emoji😀',
      'percent%41',
      '..',
      'tab\tname',
    ]) {
      it(`refuses the username ${JSON.stringify(username)} as invalid`, async () => {
        const body = await expectRefused({ user: { ...newUser(), username } });
        assert.deepEqual(body, { errors: { username: ['is invalid'] } });
      });
    }

    for (const email of [
      'plainaddress',
      'no-domain@',
      '@no-local.io',
      'two@@signs.io',
      'spaces in@x.io',
      'a@b@c.io',
      '.a..b.@example.com',
      'trailing.@example.com',
    ]) {
      it(`refuses the email ${JSON.stringify(email)} as invalid`, async () => {
        const body = await expectRefused({ user: { ...newUser(), email } });
        assert.deepEqual(body, { errors: { email: ['is invalid'] } });
      });
    }

    it('refuses an email longer than 254 characters', async () => {
      const email = `${'a'.repeat(64)}@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(10)}.io`;
      assert.ok(email.length > 254);
      const body = await expectRefused({ user: { ...newUser(), email } });
      assert.deepEqual(Object.keys(body.errors), ['email']);
    });

    it('refuses a password of 7 characters as too short', async () => {
      const body = await expectRefused({ user: { ...newUser(), password: 'x9!kq2Z' } });
      assert.deepEqual(body, { errors: { password: ['is too short (minimum is 8 characters)'] } });
    });

    it('counts password length in code points, not UTF-16 units', async () => {
      // seven emoji are fourteen UTF-16 units but seven characters
      const body = await expectRefused({ user: { ...newUser(), password: '🔑🚪🏰🗝🛡🐉🔥' } });
      assert.deepEqual(body, { errors: { password: ['is too short (minimum is 8 characters)'] } });
    });

    it('accepts a password of exactly 128 characters and refuses one of 129', async () => {
      const long = 'Zq7!'.repeat(32);
      const accepted = await request(test.app, 'POST', '/api/users', {
        body: { user: { ...newUser(), password: long } },
      });
      assert.equal(accepted.status, 201, accepted.text);
      const body = await expectRefused({ user: { ...newUser(), password: `${long}x` } });
      assert.deepEqual(body, { errors: { password: ['is too long (maximum is 128 characters)'] } });
    });

    for (const password of ['password', '12345678', 'qwertyuiop', 'Password123']) {
      it(`refuses the common password ${JSON.stringify(password)}`, async () => {
        const body = await expectRefused({ user: { ...newUser(), password } });
        assert.deepEqual(body, { errors: { password: ['is too common'] } });
      });
    }

    it("refuses a password too similar to the username, in any casing, as Django's validator judges", async () => {
      const user = newUser('owner');
      const body = await expectRefused({ user: { ...user, password: `${user.username.toUpperCase()}1` } });
      assert.deepEqual(body, { errors: { password: ['is too similar to the username'] } });
    });

    it('refuses a password too similar to the email or a part of it', async () => {
      const user = newUser();
      const localPart = `jane.doe${user.username.slice(-6)}`;
      const body = await expectRefused({
        user: { ...user, email: `${localPart}@example.com`, password: `Example.com!` },
      });
      assert.deepEqual(body, { errors: { password: ['is too similar to the email'] } });
    });

    it('accepts a long passphrase that merely names its owner (Django accepts it too)', async () => {
      const response = await request(test.app, 'POST', '/api/users', {
        body: { user: { email: 'dave@example.com', username: 'dave', password: 'dave has a long pass 9' } },
      });
      assert.equal(response.status, 201, response.text);
    });

    it("answers can't be blank for every missing field", async () => {
      const body = await expectRefused({ user: {} });
      assert.deepEqual(body, {
        errors: { email: ["can't be blank"], username: ["can't be blank"], password: ["can't be blank"] },
      });
    });

    it("answers can't be blank for empty and whitespace-only values", async () => {
      const body = await expectRefused({ user: { email: '   ', username: '', password: '' } });
      assert.deepEqual(body, {
        errors: { email: ["can't be blank"], username: ["can't be blank"], password: ["can't be blank"] },
      });
    });

    it('answers 422 when the user wrapper is missing', async () => {
      const body = await expectRefused(newUser());
      assert.deepEqual(body, { errors: { user: ["can't be blank"] } });
    });

    it('answers 422 is invalid for a field of the wrong JSON type', async () => {
      const body = await expectRefused({ user: { ...newUser(), email: 123 } });
      assert.deepEqual(body, { errors: { email: ['is invalid'] } });
    });

    for (const [label, body] of [
      ['username as an array', { user: { ...newUser(), username: ['a'] } }],
      ['password as an object', { user: { ...newUser(), password: { value: 'a-long-passphrase' } } }],
      ['password as a number', { user: { ...newUser(), password: 1234567890 } }],
      ['email as null', { user: { ...newUser(), email: null } }],
      ['user as a string', { user: 'alice' }],
      ['a JSON array body', [newUser()]],
      ['a JSON null body', null],
    ] as const) {
      it(`answers 422 and creates nobody for ${label}`, async () => {
        const errors = await expectRefused(body);
        assert.ok(Object.keys(errors.errors).length > 0);
      });
    }

    it('ignores id, staff, superuser, active, verification and timestamps sent in the body', async () => {
      const user = newUser();
      const response = await request(test.app, 'POST', '/api/users', {
        body: {
          user: {
            ...user,
            id: 'attacker-chosen-id',
            is_staff: true,
            isStaff: true,
            is_superuser: true,
            isSuperuser: true,
            is_active: false,
            email_verified: true,
            email_verified_at: 1,
            emailVerifiedAt: 1,
            created_at: 0,
            password_hash: '$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g',
            bio: 'set at signup',
            image: 'https://example.com/a.png',
          },
          is_staff: true,
        },
      });
      assert.equal(response.status, 201, response.text);
      const body = response.body as UserBody;
      assert.equal(body.user.bio, null);
      assert.equal(body.user.image, null);
      const stored = await readUser(test.database, user.email);
      assert.notEqual(stored.id, 'attacker-chosen-id');
      assert.match(stored.id, /^[0-9a-f-]{36}$/);
      assert.equal(stored.isStaff, false);
      assert.equal(stored.isSuperuser, false);
      assert.equal(stored.isActive, true);
      assert.equal(stored.emailVerifiedAt, null);
      assert.notEqual(stored.createdAt, 0);
      assert.notEqual(stored.passwordHash, '$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g');
      assert.equal(stored.bio, null);
      assert.equal(stored.image, null);
    });

    it('answers 400 and creates nobody for a __proto__ key in the body', async () => {
      const before = await countUsers(test.database);
      const user = newUser();
      const response = await request(test.app, 'POST', '/api/users', {
        body: `{"user":{"username":"${user.username}","email":"${user.email}","password":"${user.password}","__proto__":{"isStaff":true}}}`,
      });
      assert.equal(response.status, 400);
      assert.deepEqual(Object.keys((response.body as ErrorBody).errors), ['body']);
      assert.equal(await countUsers(test.database), before);
    });

    it('gives two users random, distinct ids', async () => {
      const first = await registerUser(test.app);
      const second = await registerUser(test.app);
      const [a, b] = [
        await readUser(test.database, first.email),
        await readUser(test.database, second.email),
      ];
      assert.notEqual(a.id, b.id);
      assert.match(a.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[47][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    });

    it('lets exactly one of 50 simultaneous registrations of one email (any casing) succeed', async () => {
      const before = await countUsers(test.database);
      const { username, email } = newUser('race');
      const responses = await Promise.all(
        Array.from({ length: 50 }, (_, index) =>
          request(test.app, 'POST', '/api/users', {
            body: {
              user: {
                username: `${username}n${index}`,
                email: index % 3 === 0 ? email : index % 3 === 1 ? email.toUpperCase() : ` ${email} `,
                password: 'a-long-passphrase-42',
              },
            },
          }),
        ),
      );
      const statuses = responses.map((response) => response.status);
      assert.equal(statuses.filter((status) => status === 201).length, 1, statuses.join(','));
      assert.equal(statuses.filter((status) => status === 422).length, 49, statuses.join(','));
      for (const response of responses.filter((each) => each.status === 422)) {
        assert.deepEqual(response.body, { errors: { email: ['has already been taken'] } });
      }
      assert.equal(await countUsers(test.database), before + 1);
    });

    it('lets exactly one of 50 simultaneous registrations of one username (any casing) succeed', async () => {
      const before = await countUsers(test.database);
      const { username } = newUser('samename');
      const responses = await Promise.all(
        Array.from({ length: 50 }, (_, index) =>
          request(test.app, 'POST', '/api/users', {
            body: {
              user: {
                username: index % 2 === 0 ? username : username.toUpperCase(),
                email: `racer${index}.${username}@example.com`,
                password: 'a-long-passphrase-42',
              },
            },
          }),
        ),
      );
      const statuses = responses.map((response) => response.status);
      assert.equal(statuses.filter((status) => status === 201).length, 1, statuses.join(','));
      assert.equal(statuses.filter((status) => status === 422).length, 49, statuses.join(','));
      assert.equal(await countUsers(test.database), before + 1);
    });
  });
}
