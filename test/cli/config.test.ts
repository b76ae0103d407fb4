import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { linesOf, processEnvironment, runCommand } from '../support/server-process.ts';

describe('gatehouse config', () => {
  it('prints every setting as NAME=value with SECRET_KEY masked', async () => {
    const env = processEnvironment({ PORT: '8123', CORS_ORIGINS: 'http://app.example' });
    const result = await runCommand(['config'], { env });
    assert.equal(result.code, 0, result.stderr);
    const lines = linesOf(result.stdout);
    for (const line of lines) assert.match(line, /^[A-Z][A-Z0-9_]*=/);
    const settings = new Map(
      lines.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    assert.equal(settings.get('PORT'), '8123');
    assert.equal(settings.get('CORS_ORIGINS'), 'http://app.example');
    assert.equal(settings.get('DATABASE_URL'), 'sqlite:./data/gatehouse.db');
    assert.equal(settings.get('JWT_ALGORITHM'), 'EdDSA');
    assert.match(settings.get('SECRET_KEY') ?? '', /^\*+$/);
    assert.ok(
      !`${result.stdout}${result.stderr}`.includes(env.SECRET_KEY ?? '(none)'),
      'the secret was printed',
    );
  });

  it('masks the password inside a PostgreSQL DATABASE_URL', async () => {
    const env = processEnvironment({
      DATABASE_URL: 'postgres://gate:Pa55-w0rd-xyz@db.example:5432/gatehouse',
    });
    const result = await runCommand(['config'], { env });
    assert.equal(result.code, 0, result.stderr);
    const line = linesOf(result.stdout).find((entry) => entry.startsWith('DATABASE_URL='));
    assert.ok(line !== undefined);
    assert.match(line, /^DATABASE_URL=postgres:\/\/gate:\*+@db\.example:5432\/gatehouse$/);
    assert.ok(!result.stdout.includes('Pa55-w0rd-xyz'));
  });

  it('says when no SECRET_KEY is set instead of inventing one', async () => {
    const env = processEnvironment();
    delete env.SECRET_KEY;
    const result = await runCommand(['config'], { env });
    assert.equal(result.code, 0, result.stderr);
    const line = linesOf(result.stdout).find((entry) => entry.startsWith('SECRET_KEY='));
    assert.match(line ?? '', /^SECRET_KEY=\(unset/);
  });
});

// each case is its own process with its own settings, so they run side by side
describe('gatehouse with bad input', { concurrency: 4 }, () => {
  // the check runs before any command does its work, so each command is tried once with one of the two
  const cases: Array<{ key: string; value: string; args: string[]; input?: string }> = [
    { key: 'PORT', value: 'abc', args: ['config'] },
    { key: 'PORT', value: 'abc', args: ['serve'] },
    { key: 'PORT', value: 'abc', args: ['createsuperuser'] },
    { key: 'PORT', value: 'abc', args: ['changepassword', 'a@example.com'] },
    { key: 'JWT_ALGORITHM', value: 'none', args: ['migrate'] },
    { key: 'JWT_ALGORITHM', value: 'none', args: ['migrate', '--status'] },
    {
      key: 'JWT_ALGORITHM',
      value: 'none',
      args: ['createsuperuser', '--no-input', '--email', 'a@example.com', '--username', 'a'],
      input: 'long-enough-pass-9\n',
    },
  ];
  for (const { key, value, args, input } of cases) {
    it(`exits 2 naming ${key} when ${key}=${value} (${args.join(' ')})`, async () => {
      const env = processEnvironment({ [key]: value });
      const result = await runCommand(args, { env, ...(input === undefined ? {} : { input }) });
      assert.equal(result.code, 2, result.stderr);
      const lines = linesOf(result.stderr);
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0] ?? '', new RegExp(`^gatehouse ${args[0] ?? ''}: .*\\b${key}\\b`));
      assert.equal(result.stdout, '');
    });
  }

  it('reports every bad setting in its one line', async () => {
    const result = await runCommand(['config'], {
      env: processEnvironment({ PORT: 'abc', JWT_ALGORITHM: 'none', SESSION_TTL: 'forever' }),
    });
    assert.equal(result.code, 2);
    const lines = linesOf(result.stderr);
    assert.equal(lines.length, 1, result.stderr);
    for (const key of ['PORT', 'JWT_ALGORITHM', 'SESSION_TTL']) assert.match(lines[0] ?? '', new RegExp(key));
  });

  it('rejects an unknown command', async () => {
    const result = await runCommand(['frobnicate'], { env: processEnvironment() });
    assert.notEqual(result.code, 0);
    const lines = linesOf(result.stderr);
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0] ?? '', /frobnicate/);
  });

  it('refuses to serve in production without a SECRET_KEY', async () => {
    const env = processEnvironment({ NODE_ENV: 'production' });
    delete env.SECRET_KEY;
    const result = await runCommand(['serve'], { env });
    assert.notEqual(result.code, 0);
    const lines = linesOf(result.stderr);
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0] ?? '', /SECRET_KEY/);
    assert.doesNotMatch(result.stdout, /Server listening/);
  });

  it('refuses to serve in production with a placeholder SECRET_KEY', async () => {
    const env = processEnvironment({
      NODE_ENV: 'production',
      SECRET_KEY: 'change-me-change-me-change-me-change-me',
    });
    const result = await runCommand(['serve'], { env });
    assert.equal(result.code, 2);
    assert.equal(linesOf(result.stderr).length, 1, result.stderr);
    assert.match(result.stderr, /SECRET_KEY/);
    assert.ok(!result.stderr.includes('change-me-change-me'), 'the secret was printed');
  });
});
