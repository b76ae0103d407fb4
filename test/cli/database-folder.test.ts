import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { linesOf, processEnvironment, runCommand, scratchDir } from '../support/server-process.ts';

describe('the folder of a SQLite DATABASE_URL', { concurrency: 2 }, () => {
  for (const command of [['migrate'], ['serve']]) {
    it(`is refused in one line, exit 2, when it does not exist (${command.join(' ')})`, async () => {
      const missing = join(scratchDir(), 'no-such-folder');
      const env = processEnvironment({ DATABASE_URL: `sqlite:${join(missing, 'gatehouse.db')}` });
      const result = await runCommand(command, { env });
      assert.equal(result.code, 2, result.stderr);
      const lines = linesOf(result.stderr);
      assert.equal(lines.length, 1, result.stderr);
      assert.match(
        lines[0] ?? '',
        new RegExp(`^gatehouse ${command[0] ?? ''}: DATABASE_URL: .*no-such-folder`),
      );
      assert.ok(!existsSync(missing), 'the folder was created');
    });
  }

  it('is made when it is the default ./data, whether DATABASE_URL is unset or spelled out', async () => {
    for (const settings of [{}, { DATABASE_URL: 'sqlite:./data/gatehouse.db' }]) {
      const cwd = scratchDir();
      const result = await runCommand(['migrate'], { env: processEnvironment(settings), cwd });
      assert.equal(result.code, 0, result.stderr);
      assert.ok(existsSync(join(cwd, 'data', 'gatehouse.db')));
    }
  });
});
