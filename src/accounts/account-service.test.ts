// The account service against fakes of its ports (sessions, limits, hasher) and a real store: each fake
// writes what it was asked, in order, to one journal, so a test can say what ran before what.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import pino from 'pino';
import { openMemoryDatabase } from '../../test/store/migrated-database.ts';
import { createFakeClock } from '../../test/support/fake-clock.ts';
import { createAuditTrail } from '../audit/audit-trail.ts';
import type { CallerContext, RequestContext } from '../context.ts';
import { GatehouseError } from '../errors.ts';
import { createStore, type Store, type UnitOfWork } from '../store/store.ts';
import { createAccountService, type User } from './account-service.ts';
import type { Registration } from './registration.ts';
import type { PasswordHasher } from './password-hasher.ts';
import { createPasswordPolicy } from './password-policy.ts';
import type { AttemptLimits, Grant, Grants, MailPort, PasswordAttempt, SessionPort } from './ports.ts';

interface Call {
  name: string;
  args: unknown[];
}

/** What a fake port saw of the unit of work it was handed. */
interface SeenUnit {
  unit: UnitOfWork;
  /** the user's row as the unit reads it at that moment */
  userInUnit: User | undefined;
}

const client: RequestContext = { requestId: 'test', ip: '192.0.2.1', userAgent: 'test' };
const alice = { email: 'alice@example.com', username: 'alice', password: 'violet-harbour-lantern' };
const newPassword = 'amber-orchard-compass';
const hasherCalls = ['hash', 'verify', 'verifyNothing'];
const limitCalls = ['beginLogin', 'beginPasswordCheck', 'admitRegistration', 'release'];

// Fake hashes keep their password readable, so a test can tell which password a row holds; an `old$` one
// stands for a hash made with parameters the hasher no longer uses.
const fakeHash = (password: string): string => `fake$${password}`;
const oldHash = (password: string): string => `old$${password}`;

async function createWorld(options: { requireVerifiedEmail?: boolean } = {}) {
  const memory = await openMemoryDatabase();
  const store = createStore(memory.database, (error) => {
    throw error;
  });
  const clock = createFakeClock();
  const calls: Call[] = [];
  const record = (name: string, ...args: unknown[]): void => {
    calls.push({ name, args });
  };
  /** Errors the fakes throw instead of doing their work, when set. */
  const faults: { beginLogin?: Error; admitRegistration?: Error; open?: Error; endAll?: Error } = {};
  const opened: SeenUnit[] = [];
  const ended: SeenUnit[] = [];

  const hasher: PasswordHasher = {
    hash(password) {
      record('hash', password);
      return Promise.resolve(fakeHash(password));
    },
    verify(storedHash, password) {
      record('verify', storedHash, password);
      return Promise.resolve(storedHash === fakeHash(password) || storedHash === oldHash(password));
    },
    verifyNothing(password) {
      record('verifyNothing', password);
      return Promise.resolve();
    },
    needsRehash: (storedHash) => storedHash.startsWith('old$'),
  };

  const attempt: PasswordAttempt = {
    locksOnFailure: false,
    // the unit it was released in, if any: a sign-in's must be the one that opened its session
    release(unit) {
      record('release', ...(unit === undefined ? [] : [unit]));
      return Promise.resolve();
    },
  };
  const limits: AttemptLimits = {
    beginLogin(ip, email) {
      record('beginLogin', ip, email);
      return faults.beginLogin === undefined ? Promise.resolve(attempt) : Promise.reject(faults.beginLogin);
    },
    beginPasswordCheck(email) {
      record('beginPasswordCheck', email);
      return Promise.resolve(attempt);
    },
    admitRegistration(ip) {
      record('admitRegistration', ip);
      return faults.admitRegistration === undefined
        ? Promise.resolve()
        : Promise.reject(faults.admitRegistration);
    },
    admitMail(address) {
      record('admitMail', address);
      return Promise.resolve(true);
    },
    clearLoginFailures(email) {
      record('clearLoginFailures', email);
      return Promise.resolve();
    },
  };

  const sessions: SessionPort = {
    readyToIssue() {
      record('readyToIssue');
      return Promise.resolve();
    },
    async open<G extends Grant>(unit: UnitOfWork, user: User, context: RequestContext, grant: G) {
      record('open', user.id, context.ip, grant);
      opened.push({ unit, userInUnit: await unit.users.findById(user.id) });
      if (faults.open !== undefined) throw faults.open;
      unit.afterCommit(() => {
        record('committed');
      });
      const issue = () => {
        record('issue', user.id);
        const issued: Grants[Grant] =
          grant === 'token-pair'
            ? { accessToken: 'access', refreshToken: 'refresh', expiresIn: 900 }
            : { accessToken: 'access' };
        return Promise.resolve(issued as Grants[G]);
      };
      return { sessionId: `session-of-${user.id}`, issue };
    },
    async endAll(unit, userId, reason, keepSessionId) {
      record('endAll', userId, reason, keepSessionId);
      ended.push({ unit, userInUnit: await unit.users.findById(userId) });
      if (faults.endAll !== undefined) throw faults.endAll;
    },
    userChanged(_unit, userId) {
      record('userChanged', userId);
    },
  };

  const mailed: Array<{ kind: string; to: string; unit: UnitOfWork }> = [];
  const mail: MailPort = {
    queue(unit, outgoing) {
      record('queue', outgoing.kind, outgoing.to);
      mailed.push({ kind: outgoing.kind, to: outgoing.to, unit });
      return Promise.resolve();
    },
  };
  const verification = {
    async mailVerification(unit: UnitOfWork, user: User) {
      if (user.email === null) return;
      record('mailVerification', user.email);
      await mail.queue(unit, { kind: 'verify-email', to: user.email, uid: user.id, token: 'token' });
    },
    async mailNewAddress(unit: UnitOfWork, user: User, email: string) {
      record('mailNewAddress', email);
      await mail.queue(unit, { kind: 'email-change', to: email, uid: user.id, token: 'token' });
    },
  };

  const service = createAccountService({
    store,
    hasher,
    policy: createPasswordPolicy({ minLength: 8, maxLength: 128 }),
    sessions,
    limits,
    mail,
    verification,
    audit: createAuditTrail({
      events: store.auditEvents,
      clock,
      newId: randomUUID,
      logger: pino({ level: 'silent' }),
    }),
    requireVerifiedEmail: options.requireVerifiedEmail ?? false,
    sendVerificationEmail: true,
    clock,
    newId: randomUUID,
  });

  return {
    service,
    store,
    clock,
    calls,
    faults,
    opened,
    ended,
    mailed,
    /** The names of the calls made so far, only of the kinds given when any are. */
    names: (...kinds: string[][]): string[] =>
      calls.map((call) => call.name).filter((name) => kinds.length === 0 || kinds.flat().includes(name)),
    /** The calls made so far to one method, by their arguments. */
    argsOf: (name: string): unknown[][] =>
      calls.filter((call) => call.name === name).map((call) => call.args),
    forget: () => {
      calls.length = 0;
      opened.length = 0;
      ended.length = 0;
    },
    /** An account made by an operator, with `alice`'s fields unless told otherwise; the journal starts empty. */
    async createUser(input: Registration = alice): Promise<User> {
      const user = await service.createUser(input, {});
      calls.length = 0;
      return user;
    },
    close: () => memory.close(),
  };
}

type World = Awaited<ReturnType<typeof createWorld>>;

/** A request of `user`, signed in through a session the fakes never stored. */
function callerOf(user: User, now: number): CallerContext {
  const session = {
    id: 'caller-session',
    userId: user.id,
    createdAt: now,
    lastUsedAt: now,
    expiresAt: now + 86_400_000,
    userAgent: client.userAgent ?? null,
    ip: client.ip,
    revokedAt: null,
  };
  return { ...client, caller: { user, session, token: 'caller-token' } };
}

/** The GatehouseError `promise` rejects with. */
async function refusal(promise: Promise<unknown>): Promise<GatehouseError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof GatehouseError, `expected a GatehouseError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a refusal');
}

const described = ({ code, message, fields, retryAfter }: GatehouseError) => ({
  code,
  message,
  fields,
  retryAfter,
});

/** Asserts that `unit` is an open unit of work, not the store that opened it. */
function assertIsUnit(unit: UnitOfWork, store: Store): void {
  assert.notEqual(unit, store);
  assert.equal(typeof unit.afterCommit, 'function');
}

describe('account service', () => {
  let world: World;
  beforeEach(async () => {
    world = await createWorld();
  });
  afterEach(() => world.close());

  describe('signIn', () => {
    it('hashes a dummy for an unknown email, as a wrong password is hashed, and refuses both alike', async () => {
      await world.createUser();

      const unknown = await refusal(
        world.service.signIn(
          { email: 'nobody@example.com', password: 'some-guess-1' },
          client,
          'access-token',
        ),
      );
      assert.deepEqual(
        world.calls.filter((call) => hasherCalls.includes(call.name)),
        [{ name: 'verifyNothing', args: ['some-guess-1'] }],
      );

      world.forget();
      const wrong = await refusal(
        world.service.signIn({ email: alice.email, password: 'some-guess-1' }, client, 'access-token'),
      );
      assert.deepEqual(
        world.calls.filter((call) => hasherCalls.includes(call.name)),
        [{ name: 'verify', args: [fakeHash(alice.password), 'some-guess-1'] }],
      );

      assert.equal(unknown.code, 'invalid_credentials');
      assert.deepEqual(described(unknown), described(wrong));
    });

    it('counts the attempt before the hash and releases it once the password proves right', async () => {
      const user = await world.createUser();
      const signedIn = await world.service.signIn(
        { email: alice.email, password: alice.password },
        client,
        'token-pair',
      );
      assert.deepEqual(world.names(), [
        'beginLogin',
        'verify',
        'readyToIssue',
        'open',
        'release',
        'committed',
        'issue',
      ]);
      assert.deepEqual(world.argsOf('beginLogin'), [[client.ip, alice.email]]);
      // released in the unit that opened the session, so it commits with the sign-in
      assert.equal(world.argsOf('release')[0]?.[0], world.opened[0]?.unit);
      assert.deepEqual(signedIn.tokens, { accessToken: 'access', refreshToken: 'refresh', expiresIn: 900 });
      assert.equal(signedIn.user.id, user.id);
      assert.equal(signedIn.user.lastLoginAt, world.clock.now());
    });

    it('keeps the attempt counted when the credentials are refused: unknown email, wrong password, inactive user', async () => {
      await world.createUser();
      const other = await world.createUser({
        email: 'bob@example.com',
        username: 'bob',
        password: alice.password,
      });
      const deactivated = await world.store.users.update(other.id, { isActive: false, updatedAt: 1 });
      assert.ok(deactivated.ok);

      const attempts = [
        { email: 'nobody@example.com', password: alice.password },
        { email: alice.email, password: 'not-the-password' },
        { email: 'bob@example.com', password: alice.password },
      ];
      for (const credentials of attempts) {
        world.forget();
        const error = await refusal(world.service.signIn(credentials, client, 'access-token'));
        assert.equal(error.code, 'invalid_credentials', credentials.email);
        assert.deepEqual(world.names(limitCalls), ['beginLogin'], credentials.email);
        assert.deepEqual(world.names(['open']), [], credentials.email);
      }
      // the inactive user's password was right: refused anyway, and the same way
      assert.deepEqual(world.argsOf('verify'), [[fakeHash(alice.password), alice.password]]);
    });

    it('releases the attempt of a blank email and password, which no hash checks', async () => {
      const error = await refusal(world.service.signIn({ email: ' ', password: '' }, client, 'access-token'));
      assert.equal(error.code, 'validation_failed');
      assert.deepEqual(error.fields, { email: { code: 'blank' }, password: { code: 'blank' } });
      assert.deepEqual(world.names(), ['beginLogin', 'release']);
      // a blank email is counted against the IP alone, as the port promises
      assert.deepEqual(world.argsOf('beginLogin'), [[client.ip, '']]);
    });

    it('never runs the hash when the login limit refuses', async () => {
      await world.createUser();
      world.faults.beginLogin = new GatehouseError('rate_limited', 'too many logins', { retryAfter: 60 });
      const error = await refusal(
        world.service.signIn({ email: alice.email, password: alice.password }, client, 'access-token'),
      );
      assert.equal(error, world.faults.beginLogin);
      assert.deepEqual(world.names(), ['beginLogin']);
    });

    it('opens the session inside the unit that records the login, and issues tokens only after commit', async () => {
      const user = await world.createUser();
      await world.service.signIn({ email: alice.email, password: alice.password }, client, 'access-token');
      assert.equal(world.opened.length, 1);
      const [seen] = world.opened;
      assert.ok(seen !== undefined);
      assertIsUnit(seen.unit, world.store);
      // the unit already holds the login it is recording
      assert.equal(seen.userInUnit?.lastLoginAt, world.clock.now());
      assert.deepEqual(world.argsOf('open'), [[user.id, client.ip, 'access-token']]);
      assert.deepEqual(world.names(['open', 'committed', 'issue']), ['open', 'committed', 'issue']);
    });

    it('records no login when the session cannot be opened', async () => {
      const user = await world.createUser();
      world.faults.open = new Error('sessions table unavailable');
      await assert.rejects(
        world.service.signIn({ email: alice.email, password: alice.password }, client, 'access-token'),
        world.faults.open,
      );
      assert.deepEqual(await world.store.users.findById(user.id), user);
      assert.deepEqual(world.names(['issue']), []);
      // the password was right: the attempt is taken back on its own, outside the unit that failed
      assert.deepEqual(world.argsOf('release'), [[]]);
    });

    it('rehashes a password stored with old parameters in the unit that records the login', async () => {
      const user = await world.createUser();
      const stale = await world.store.users.update(user.id, {
        passwordHash: oldHash(alice.password),
        updatedAt: 1,
      });
      assert.ok(stale.ok);
      await world.service.signIn({ email: alice.email, password: alice.password }, client, 'access-token');
      assert.deepEqual(world.argsOf('hash'), [[alice.password]]);
      assert.deepEqual(world.names(['release', 'hash', 'open']), ['hash', 'open', 'release']);
      assert.equal(world.opened[0]?.userInUnit?.passwordHash, fakeHash(alice.password));
      assert.equal((await world.store.users.findById(user.id))?.passwordHash, fakeHash(alice.password));
    });
  });

  describe('register', () => {
    it('counts the registration against the client IP before anything else, refused ones included', async () => {
      await world.service.register(alice, client);
      assert.deepEqual(world.names(), ['admitRegistration', 'hash', 'mailVerification', 'queue']);
      assert.deepEqual(world.argsOf('admitRegistration'), [[client.ip]]);

      world.forget();
      const error = await refusal(world.service.register({}, client));
      assert.equal(error.code, 'validation_failed');
      assert.deepEqual(world.names(), ['admitRegistration']);
    });

    it('stores nothing and hashes nothing when the registration limit refuses', async () => {
      world.faults.admitRegistration = new GatehouseError('rate_limited', 'too many registrations', {
        retryAfter: 3600,
      });
      const error = await refusal(world.service.register(alice, client));
      assert.equal(error, world.faults.admitRegistration);
      assert.deepEqual(world.names(), ['admitRegistration']);
      assert.equal(await world.store.users.findByEmail(alice.email), undefined);
    });

    it('leaves an operator-created user uncounted by any limit', async () => {
      const user = await world.service.createUser(alice, { isStaff: true });
      assert.equal(user.isStaff, true);
      assert.deepEqual(world.names(limitCalls), []);
      assert.deepEqual(world.names(), ['hash']);
    });

    it('reports a blank, invalid or overlong registration as one problem code per field', async () => {
      const problemsOf = async (input: Registration) =>
        (await refusal(world.service.register(input, client))).fields;

      assert.deepEqual(await problemsOf({}), {
        email: { code: 'blank' },
        username: { code: 'blank' },
        password: { code: 'blank' },
      });
      assert.deepEqual(
        await problemsOf({ email: 'alice.example.com', username: 'alice smith', password: 'short' }),
        {
          email: { code: 'invalid' },
          username: { code: 'invalid' },
          password: { code: 'too_short', min: 8 },
        },
      );
      assert.deepEqual(
        await problemsOf({
          email: `${'a'.repeat(64)}@${'b'.repeat(190)}.com`,
          username: 'u'.repeat(65),
          password: 'p'.repeat(129),
        }),
        {
          email: { code: 'too_long', max: 254 },
          username: { code: 'too_long', max: 64 },
          password: { code: 'too_long', max: 128 },
        },
      );
      assert.deepEqual(await problemsOf({ ...alice, password: 'password' }), {
        password: { code: 'too_common' },
      });
      assert.deepEqual(await problemsOf({ ...alice, password: 'alice_zq' }), {
        password: { code: 'too_similar', to: 'username' },
      });
      assert.equal(await world.store.users.findByEmail(alice.email), undefined);
      assert.deepEqual(world.names(hasherCalls), []);
    });

    it('refuses an email whose local part is 65 octets and accepts one of 64', async () => {
      const longest = `${'a'.repeat(64)}@example.com`;
      const error = await refusal(world.service.register({ ...alice, email: `a${longest}` }, client));
      assert.deepEqual(error.fields, { email: { code: 'invalid' } });
      const user = await world.service.register({ ...alice, email: longest }, client);
      assert.equal(user.email, longest);
    });

    it('refuses an email or username already taken, whatever its casing', async () => {
      await world.createUser();
      const error = await refusal(
        world.service.register(
          { email: 'ALICE@example.com', username: 'Alice', password: alice.password },
          client,
        ),
      );
      assert.deepEqual(error.fields, { email: { code: 'taken' }, username: { code: 'taken' } });
    });
  });

  describe('with REQUIRE_VERIFIED_EMAIL', () => {
    it('registers without a session, and refuses the right password until the address is verified', async () => {
      await world.close();
      world = await createWorld({ requireVerifiedEmail: true });
      const registered = await world.service.registerAndSignIn(alice, client, 'access-token');
      assert.equal(registered.tokens, undefined);
      assert.deepEqual(world.names(['open', 'issue']), []);
      assert.deepEqual(world.argsOf('mailVerification'), [[alice.email]]);

      const refused = await refusal(world.service.signIn(alice, client, 'access-token'));
      assert.equal(refused.code, 'email_not_verified');
      // the right password costs the owner no attempt
      assert.deepEqual(world.names(['beginLogin', 'release']), ['beginLogin', 'release']);
      // a wrong one reads as any wrong password: nothing said of the address
      const wrong = await refusal(
        world.service.signIn({ ...alice, password: 'not-her-password' }, client, 'access-token'),
      );
      assert.equal(wrong.code, 'invalid_credentials');

      const user = await world.store.users.findByEmail(alice.email);
      assert.ok(user !== undefined);
      await world.store.users.update(user.id, {
        emailVerifiedAt: world.clock.now(),
        updatedAt: world.clock.now(),
      });
      const signedIn = await world.service.signIn(alice, client, 'access-token');
      assert.deepEqual(signedIn.tokens, { accessToken: 'access' });
    });
  });

  describe('registerAndSignIn', () => {
    it('opens the first session in the unit that inserts the user, and issues tokens only after commit', async () => {
      const signedIn = await world.service.registerAndSignIn(alice, client, 'access-token');
      assert.deepEqual(world.names(), [
        'admitRegistration',
        'hash',
        'readyToIssue',
        'mailVerification',
        'queue',
        'open',
        'committed',
        'issue',
      ]);
      const [verificationMail] = world.mailed;
      assert.ok(verificationMail !== undefined);
      assertIsUnit(verificationMail.unit, world.store);
      const [seen] = world.opened;
      assert.ok(seen !== undefined);
      assertIsUnit(seen.unit, world.store);
      assert.equal(seen.userInUnit?.id, signedIn.user.id);
      assert.deepEqual(signedIn.tokens, { accessToken: 'access' });
      assert.deepEqual(await world.store.users.findById(signedIn.user.id), signedIn.user);
    });

    it('stores no user when the session cannot be opened, so that a retry succeeds', async () => {
      world.faults.open = new Error('sessions table unavailable');
      await assert.rejects(world.service.registerAndSignIn(alice, client, 'token-pair'), world.faults.open);
      assert.equal(world.opened.length, 1, 'the session was never attempted');
      assert.equal(await world.store.users.findByEmail(alice.email), undefined);
      assert.equal(await world.store.users.findByUsername(alice.username), undefined);
      assert.deepEqual(world.names(['issue']), []);

      delete world.faults.open;
      const signedIn = await world.service.registerAndSignIn(alice, client, 'token-pair');
      assert.equal(signedIn.user.email, alice.email);
      assert.equal((await world.store.users.findByEmail(alice.email))?.id, signedIn.user.id);
    });
  });

  describe('changePassword', () => {
    it('checks the current password under a counted attempt, releases it when right, and ends the other sessions', async () => {
      const user = await world.createUser();
      await world.service.changePassword(callerOf(user, world.clock.now()), {
        currentPassword: alice.password,
        newPassword,
      });
      assert.deepEqual(world.names(), ['beginPasswordCheck', 'verify', 'release', 'hash', 'endAll', 'queue']);
      assert.deepEqual(world.argsOf('beginPasswordCheck'), [[user.email]]);
      // the address is told, in the same unit
      assert.deepEqual(world.argsOf('queue'), [['password-changed', user.email]]);
      const [notice] = world.mailed;
      assert.ok(notice !== undefined);
      assertIsUnit(notice.unit, world.store);
      assert.deepEqual(world.argsOf('endAll'), [[user.id, 'password_changed', 'caller-session']]);
      const [seen] = world.ended;
      assert.ok(seen !== undefined);
      assertIsUnit(seen.unit, world.store);
      // the sessions end in the unit that already holds the new hash
      assert.equal(seen.userInUnit?.passwordHash, fakeHash(newPassword));
      assert.equal((await world.store.users.findById(user.id))?.passwordHash, fakeHash(newPassword));
    });

    it('keeps the attempt counted and writes nothing when the current password is wrong', async () => {
      const user = await world.createUser();
      const error = await refusal(
        world.service.changePassword(callerOf(user, world.clock.now()), {
          currentPassword: 'not-the-password',
          newPassword,
        }),
      );
      assert.equal(error.code, 'validation_failed');
      assert.deepEqual(error.fields, { current_password: { code: 'wrong_password' } });
      assert.deepEqual(world.names(), ['beginPasswordCheck', 'verify']);
      assert.deepEqual(await world.store.users.findById(user.id), user);
    });

    it('releases the attempt when the current password is blank, and hashes nothing', async () => {
      const user = await world.createUser();
      const error = await refusal(
        world.service.changePassword(callerOf(user, world.clock.now()), { currentPassword: '', newPassword }),
      );
      assert.deepEqual(error.fields, { current_password: { code: 'blank' } });
      assert.deepEqual(world.names(), ['beginPasswordCheck', 'release']);
    });
  });

  describe('deactivate', () => {
    it('checks the current password under a counted attempt, then deactivates and ends every session', async () => {
      const user = await world.createUser();
      await world.service.deactivate(callerOf(user, world.clock.now()), alice.password);
      assert.deepEqual(world.names(), ['beginPasswordCheck', 'verify', 'release', 'endAll']);
      assert.deepEqual(world.argsOf('endAll'), [[user.id, 'deactivated', undefined]]);
      assert.equal(world.ended[0]?.userInUnit?.isActive, false);
      assert.equal((await world.store.users.findById(user.id))?.isActive, false);
    });

    it('keeps the attempt counted and writes nothing when the current password is wrong', async () => {
      const user = await world.createUser();
      const error = await refusal(
        world.service.deactivate(callerOf(user, world.clock.now()), 'not-the-password'),
      );
      assert.deepEqual(error.fields, { current_password: { code: 'wrong_password' } });
      assert.deepEqual(world.names(), ['beginPasswordCheck', 'verify']);
      assert.deepEqual(await world.store.users.findById(user.id), user);
    });
  });

  describe('update', () => {
    it("ends the caller's other sessions in the unit that stores a new password", async () => {
      const user = await world.createUser();
      const updated = await world.service.update(callerOf(user, world.clock.now()), {
        password: newPassword,
      });
      assert.deepEqual(world.argsOf('endAll'), [[user.id, 'password_changed', 'caller-session']]);
      assert.deepEqual(world.names(['userChanged']), []);
      const [seen] = world.ended;
      assert.ok(seen !== undefined);
      assertIsUnit(seen.unit, world.store);
      assert.equal(seen.userInUnit?.passwordHash, fakeHash(newPassword));
      assert.equal(updated.passwordHash, fakeHash(newPassword));
    });

    it('keeps the old password and every other field when ending the sessions fails', async () => {
      const user = await world.createUser();
      world.faults.endAll = new Error('sessions table unavailable');
      await assert.rejects(
        world.service.update(callerOf(user, world.clock.now()), { password: newPassword, bio: 'new bio' }),
        world.faults.endAll,
      );
      assert.equal(
        world.ended[0]?.userInUnit?.passwordHash,
        fakeHash(newPassword),
        'the unit held the new hash',
      );
      assert.deepEqual(await world.store.users.findById(user.id), user);
    });

    it('mails a new address a verification and tells the old one, in the unit that changes it', async () => {
      const user = await world.createUser();
      const updated = await world.service.update(callerOf(user, world.clock.now()), {
        email: 'alice@elsewhere.example',
      });
      assert.equal(updated.email, 'alice@elsewhere.example');
      assert.equal(updated.emailVerifiedAt, null);
      assert.deepEqual(
        world.mailed.map(({ kind, to }) => [kind, to]),
        [
          ['verify-email', 'alice@elsewhere.example'],
          ['email-changed', alice.email],
        ],
      );
      for (const { unit } of world.mailed) assertIsUnit(unit, world.store);
    });

    it('mails nobody when only the casing of the address changes', async () => {
      const user = await world.createUser();
      await world.service.update(callerOf(user, world.clock.now()), { email: 'Alice@Example.com' });
      assert.deepEqual(world.mailed, []);
    });

    it('tells the sessions of a change without a password, and ends none', async () => {
      const user = await world.createUser();
      const updated = await world.service.update(callerOf(user, world.clock.now()), { bio: 'hello' });
      assert.equal(updated.bio, 'hello');
      assert.deepEqual(world.argsOf('userChanged'), [[user.id]]);
      assert.deepEqual(world.names(['endAll']), []);
    });
  });
});
