import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, dialects, type TestDatabase } from '../support/databases.ts';
import { linesOf, processEnvironment, runCommand } from '../support/server-process.ts';

const migrations = ['0001-initial', '0002-rate-limits'];

for (const dialect of dialects) {
  describe(`gatehouse migrate on ${dialect}`, () => {
    let database: TestDatabase;
    let env: Record<string, string>;
    before(async () => {
      database = await createTestDatabase(dialect);
      env = processEnvironment({ DATABASE_URL: database.url });
    });
    after(() => database.drop());

    it('lists every migration as pending on a fresh database', async () => {
      const result = await runCommand(['migrate', '--status'], { env });
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(
        linesOf(result.stdout),
        migrations.map((name) => `${name}\tpending`),
      );
    });

    it('applies the pending migrations, then finds none left', async () => {
      const first = await runCommand(['migrate'], { env });
      assert.equal(first.code, 0, first.stderr);
      assert.deepEqual(linesOf(first.stdout), [`applied: ${migrations.join(', ')}`]);

      const second = await runCommand(['migrate'], { env });
      assert.equal(second.code, 0, second.stderr);
      assert.deepEqual(linesOf(second.stdout), ['no pending migrations']);
    });

    it('lists every migration as applied, with when it ran', async () => {
      const result = await runCommand(['migrate', '--status'], { env });
      assert.equal(result.code, 0, result.stderr);
      const lines = linesOf(result.stdout);
      assert.equal(lines.length, migrations.length, result.stdout);
      for (const [index, name] of migrations.entries()) {
        const match = new RegExp(`^${name}\\tapplied (\\S+)$`).exec(lines[index] ?? '');
        assert.ok(match?.[1] !== undefined, `unexpected status line: ${String(lines[index])}`);
        assert.ok(Math.abs(Date.parse(match[1]) - Date.now()) < 60_000, `not a recent time: ${match[1]}`);
      }
    });

    it('rejects an unknown option with one line on stderr', async () => {
      const result = await runCommand(['migrate', '--sideways'], { env });
      assert.equal(result.code, 2);
      assert.equal(linesOf(result.stderr).length, 1, result.stderr);
    });
  });
}
