import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createUserRepository } from '../../src/store/user-repository.ts';
import { dialects } from '../support/databases.ts';
import { newUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import { countUsers } from './user-rows.ts';

// RFC 5321 §4.5.3.1.1: a local part holds at most 64 octets; the whole address stays within 254 characters.
// ASCII is enough here: the email pattern already refuses a local part that is not, so octets are characters.
const maxLocalPart = 64;

/** A fresh address whose local part is exactly `octets` long. */
function addressWithLocalPart(octets: number, domain = 'example.com'): string {
  const localPart = newUser('local').username.padEnd(octets, 'x');
  assert.equal(Buffer.byteLength(localPart), octets);
  return `${localPart}@${domain}`;
}

/** A valid domain of exactly `length` characters: labels of at most 63 before `.com`. */
function domainOf(length: number): string {
  let domain = 'com';
  while (domain.length < length) {
    const label = Math.min(63, length - domain.length - 1);
    assert.ok(label > 0, `no domain of ${length} characters this way`);
    domain = `${'d'.repeat(label)}.${domain}`;
  }
  return domain;
}

const dialectCases = [
  {
    name: 'Conduit (POST /api/users)',
    url: '/api/users',
    body: (email: string) => ({ user: { ...newUser(), email } }),
    refused: { status: 422, body: { errors: { email: ['is invalid'] } } },
  },
  {
    name: 'djoser (POST /auth/users/)',
    url: '/auth/users/',
    body: (email: string) => ({ ...newUser(), email }),
    refused: { status: 400, body: { email: ['Enter a valid email address.'] } },
  },
];

for (const dialect of dialects) {
  for (const registration of dialectCases) {
    describe(`the length of an email's local part, ${registration.name} on ${dialect}`, () => {
      let test: TestApp;
      before(async () => {
        test = await startTestApp(dialect);
      });
      after(() => test.close());

      const register = (email: string) =>
        request(test.app, 'POST', registration.url, { body: registration.body(email) });
      const stored = async (email: string) =>
        (await createUserRepository(test.database).findByEmail(email)) !== undefined;

      it(`refuses a local part of ${maxLocalPart + 1} octets and stores nothing`, async () => {
        const email = addressWithLocalPart(maxLocalPart + 1);
        const before = await countUsers(test.database);
        const response = await register(email);
        assert.equal(response.status, registration.refused.status, response.text);
        assert.deepEqual(response.body, registration.refused.body);
        assert.equal(await countUsers(test.database), before, 'a refused registration created a user');
        assert.equal(await stored(email), false);
      });

      it(`accepts a local part of ${maxLocalPart} octets`, async () => {
        const email = addressWithLocalPart(maxLocalPart);
        const response = await register(email);
        assert.equal(response.status, 201, response.text);
        assert.equal(await stored(email), true);
      });

      it(`accepts a local part of ${maxLocalPart} octets in an address of 254 characters, the longest`, async () => {
        const email = addressWithLocalPart(maxLocalPart, domainOf(254 - maxLocalPart - 1));
        assert.equal(email.length, 254);
        const response = await register(email);
        assert.equal(response.status, 201, response.text);
        assert.equal(await stored(email), true);
      });

      it(`refuses a local part of ${maxLocalPart + 1} octets under a short domain as well`, async () => {
        const email = `${'y'.repeat(maxLocalPart + 1)}@x.io`;
        const before = await countUsers(test.database);
        const response = await register(email);
        assert.equal(response.status, registration.refused.status, response.text);
        assert.deepEqual(response.body, registration.refused.body);
        assert.equal(await countUsers(test.database), before, 'a refused registration created a user');
      });
    });
  }
}
