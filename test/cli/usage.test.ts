import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { binary, linesOf, processEnvironment, runCommand, scratchDir } from '../support/server-process.ts';

// Every command with a stray argument or an unknown flag; none gets as far as opening a database.
const misuses: string[][] = [
  ['serve', 'now'],
  ['serve', '--port', '9000'],
  ['migrate', 'up'],
  ['migrate', '--sideways'],
  ['migrate', '--status=yes'],
  ['createsuperuser', 'root'],
  ['createsuperuser', '--admin'],
  ['createsuperuser', '--email'],
  ['changepassword'],
  ['changepassword', 'a@example.com', 'b@example.com'],
  ['changepassword', '--force', 'a@example.com'],
  ['keys'],
  ['keys', 'spin'],
  ['keys', 'list', 'all'],
  ['keys', 'list', '--long'],
  ['keys', 'rotate', 'now'],
  ['keys', 'rotate', '--algorithm', 'HS256'],
  ['config', 'PORT'],
  ['config', '--verbose'],
  ['frobnicate'],
];

// each case is its own process, so they run side by side
describe('gatehouse used wrongly', { concurrency: 4 }, () => {
  for (const args of misuses) {
    it(`exits 2 with one line on stderr for: gatehouse ${args.join(' ')}`, async () => {
      const result = await runCommand(args, { env: processEnvironment() });
      assert.equal(result.code, 2, result.stderr);
      const lines = linesOf(result.stderr);
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0] ?? '', /^gatehouse( \S+)?: \S/);
      assert.equal(result.stdout, '');
    });
  }

  it('prints the usage on stderr and exits 2 when no command is given', async () => {
    const result = await runCommand([], { env: processEnvironment() });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^usage: gatehouse <command>/);
    assert.equal(result.stdout, '');
  });

  it('prints the usage on stdout and exits 0 when asked for help', async () => {
    const result = await runCommand(['help'], { env: processEnvironment() });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^usage: gatehouse <command>/);
  });
});

describe('gatehouse before a build', () => {
  it('says to build first, in one line, and exits 2', async () => {
    // the launcher as a fresh clone has it: bin/ and package.json, no dist/ beside them
    const clone = scratchDir();
    mkdirSync(join(clone, 'bin'));
    copyFileSync(binary, join(clone, 'bin', 'gatehouse.js'));
    copyFileSync(join(dirname(binary), '..', 'package.json'), join(clone, 'package.json'));
    const child = spawn(process.execPath, [join(clone, 'bin', 'gatehouse.js'), 'config'], {
      cwd: clone,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise((resolve) => child.once('close', resolve));
    assert.equal(code, 2, stderr);
    const lines = linesOf(stderr);
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0] ?? '', /npm run build/);
  });
});
