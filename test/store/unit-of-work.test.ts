import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { NewSession } from '../../src/store/session-repository.ts';
import { createStore, type Store } from '../../src/store/store.ts';
import type { NewUser } from '../../src/store/user-repository.ts';
import { dialects } from '../support/databases.ts';
import { insertUser, openMigratedDatabase, type MigratedDatabase } from './migrated-database.ts';

const createdAt = 1_700_000_000_000;

function newUser(): NewUser {
  const id = randomUUID();
  const name = `unit${id.slice(0, 8)}`;
  return { id, email: `${name}@example.com`, username: name, passwordHash: 'not-checked-here', createdAt };
}

function newSession(userId: string, id: string = randomUUID()): NewSession {
  return { id, userId, createdAt, expiresAt: createdAt + 86_400_000, userAgent: null, ip: null };
}

/** A constraint the database refused, not an assertion of the test's own. */
const isDatabaseError = (error: unknown): boolean =>
  error instanceof Error && !(error instanceof assert.AssertionError);

for (const dialect of dialects) {
  describe(`the store's unit of work on ${dialect}`, () => {
    let migrated: MigratedDatabase;
    let store: Store;
    const reported: unknown[] = [];
    before(async () => {
      migrated = await openMigratedDatabase(dialect);
      store = createStore(migrated.database, (error) => reported.push(error));
    });
    after(() => migrated.close());

    it('rolls back the first write when the second refers to a user that does not exist', async () => {
      const user = newUser();
      let inserted = false;
      await assert.rejects(
        store.transaction(async (unit) => {
          inserted = (await unit.users.insert(user)).ok;
          await unit.sessions.insert(newSession(randomUUID()));
        }),
        isDatabaseError,
      );
      assert.ok(inserted, 'the first write failed already');
      assert.equal(await store.users.findById(user.id), undefined);
    });

    it('rolls back the first write when the second repeats an id', async () => {
      const existing = await store.sessions.insert(newSession(await insertUser(migrated.database)));
      const user = newUser();
      let inserted = false;
      await assert.rejects(
        store.transaction(async (unit) => {
          inserted = (await unit.users.insert(user)).ok;
          await unit.sessions.insert(newSession(user.id, existing.id));
        }),
        isDatabaseError,
      );
      assert.ok(inserted, 'the first write failed already');
      assert.equal(await store.users.findById(user.id), undefined);
      assert.deepEqual(await store.sessions.findById(existing.id), existing);
    });

    it('runs the after-commit actions once committed, one after another in the order given', async () => {
      const user = newUser();
      const ran: string[] = [];
      await store.transaction(async (unit) => {
        assert.ok((await unit.users.insert(user)).ok);
        unit.afterCommit(async () => {
          ran.push('first started');
          // read outside the unit: the row is there only if the unit has committed
          const committed = await store.users.findById(user.id);
          ran.push(`first saw the user: ${String(committed !== undefined)}`);
        });
        unit.afterCommit(() => {
          ran.push('second');
        });
        await unit.sessions.insert(newSession(user.id));
        assert.deepEqual(ran, [], 'ran before the commit');
      });
      assert.deepEqual(ran, ['first started', 'first saw the user: true', 'second']);
    });

    it('never runs the after-commit actions of a unit that rolls back, and rethrows its failure', async () => {
      const user = newUser();
      const ran: string[] = [];
      const failure = new Error('the work failed');
      await assert.rejects(
        store.transaction(async (unit) => {
          assert.ok((await unit.users.insert(user)).ok);
          unit.afterCommit(() => {
            ran.push('action');
          });
          throw failure;
        }),
        (error) => error === failure,
      );
      assert.deepEqual(ran, []);
      assert.equal(await store.users.findById(user.id), undefined);
    });

    it('reports an after-commit action that fails and still runs the next: the change has committed', async () => {
      const user = newUser();
      const failure = new Error('the announcement failed');
      const ran: string[] = [];
      reported.length = 0;
      const answer = await store.transaction(async (unit) => {
        assert.ok((await unit.users.insert(user)).ok);
        unit.afterCommit(() => {
          throw failure;
        });
        unit.afterCommit(() => {
          ran.push('second');
        });
        return 'committed';
      });
      assert.equal(answer, 'committed');
      assert.deepEqual(ran, ['second']);
      assert.deepEqual(reported, [failure]);
      assert.notEqual(await store.users.findById(user.id), undefined);
    });

    it('refuses an after-commit action registered once the work has ended', async () => {
      let late: ((action: () => void) => void) | undefined;
      await store.transaction((unit) => {
        late = (action) => {
          unit.afterCommit(action);
        };
        return Promise.resolve();
      });
      assert.throws(() => late?.(() => undefined), /after the unit of work ended/);
    });

    it('answers what the work returned', async () => {
      const user = newUser();
      const answer = await store.transaction(async (unit) => {
        const inserted = await unit.users.insert(user);
        assert.ok(inserted.ok);
        return { user: inserted.value, session: await unit.sessions.insert(newSession(user.id)) };
      });
      assert.deepEqual(await store.users.findById(user.id), answer.user);
      assert.deepEqual(await store.sessions.findById(answer.session.id), answer.session);
    });
  });
}
