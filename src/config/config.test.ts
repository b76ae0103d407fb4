import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, describeSettings, loadConfig } from './config.ts';

const strongSecret = 'q8Jv2mXz7LwR4nTa9KcY1pHs6DgF3bVe';

describe('loadConfig', () => {
  it('pins the production argon2id parameters and the documented defaults', () => {
    const config = loadConfig({});
    assert.deepEqual(config.argon2, { memoryCost: 19456, timeCost: 2, parallelism: 1 });
    assert.equal(config.databaseUrl, 'sqlite:./data/gatehouse.db');
    assert.equal(config.port, 8000);
    assert.equal(config.jwtAlgorithm, 'EdDSA');
    assert.equal(config.accessTokenTtl, 15 * 60_000);
    assert.equal(config.conduitTokenTtl, 60 * 86_400_000);
    assert.equal(config.sessionTtl, 60 * 86_400_000);
    assert.equal(config.sessionIdleTtl, 14 * 86_400_000);
    assert.equal(config.bodyLimit, 65536);
    assert.equal(config.passwordMinLength, 8);
    assert.equal(config.passwordMaxLength, 128);
    assert.equal(config.migrateOnStart, true);
  });

  it('reads durations with units and bare seconds', () => {
    const config = loadConfig({ ACCESS_TOKEN_TTL: '90', SESSION_IDLE_TTL: '2h', SESSION_CACHE_TTL: '250ms' });
    assert.equal(config.accessTokenTtl, 90_000);
    assert.equal(config.sessionIdleTtl, 7_200_000);
    assert.equal(config.sessionCacheTtl, 250);
  });

  it('reports every bad key in one error', () => {
    assert.throws(
      () =>
        loadConfig({
          PORT: 'eighty',
          JWT_ALGORITHM: 'none',
          ACCESS_TOKEN_TTL: '5 minutes',
          BODY_LIMIT: '-1',
        }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        for (const key of ['PORT', 'JWT_ALGORITHM', 'ACCESS_TOKEN_TTL', 'BODY_LIMIT']) {
          assert.match(error.message, new RegExp(key));
        }
        assert.doesNotMatch(error.message, /\n/);
        return true;
      },
    );
  });

  it('refuses to run in production without a secret key', () => {
    assert.throws(() => loadConfig({ NODE_ENV: 'production' }), /SECRET_KEY: required/);
  });

  it('refuses placeholder and low-entropy secrets in production', () => {
    for (const secret of [
      'change-me-change-me-change-me-change-me',
      'a'.repeat(40),
      'ababababababababababababababababab',
    ]) {
      assert.throws(() => loadConfig({ NODE_ENV: 'production', SECRET_KEY: secret }), /SECRET_KEY/);
    }
    const production = { NODE_ENV: 'production', PUBLIC_URL: 'https://auth.example.com' };
    assert.equal(loadConfig({ ...production, SECRET_KEY: strongSecret }).production, true);
  });

  it('refuses to run in production without a PUBLIC_URL: the issuer must not be a guess', () => {
    assert.throws(
      () => loadConfig({ NODE_ENV: 'production', SECRET_KEY: strongSecret }),
      /PUBLIC_URL: required when NODE_ENV=production/,
    );
    const config = loadConfig({
      NODE_ENV: 'production',
      SECRET_KEY: strongSecret,
      PUBLIC_URL: 'https://a.io/',
    });
    assert.equal(config.publicUrl, 'https://a.io');
  });

  it('refuses a minimum password length above the maximum', () => {
    assert.throws(
      () => loadConfig({ PASSWORD_MIN_LENGTH: '64', PASSWORD_MAX_LENGTH: '32' }),
      /PASSWORD_MIN_LENGTH/,
    );
  });

  it('derives the issuer from HOST and PORT unless PUBLIC_URL is set, without a trailing slash', () => {
    assert.equal(loadConfig({ HOST: '127.0.0.1', PORT: '9000' }).publicUrl, 'http://127.0.0.1:9000');
    assert.equal(
      loadConfig({ PUBLIC_URL: 'https://auth.example.com/' }).publicUrl,
      'https://auth.example.com',
    );
  });
});

describe('describeSettings', () => {
  it('masks the secret key and a database password', () => {
    const settings = new Map(
      describeSettings({
        SECRET_KEY: strongSecret,
        DATABASE_URL: 'postgres://gate:hunter2pass@db:5432/gatehouse',
      }),
    );
    assert.equal(settings.get('SECRET_KEY'), '********');
    assert.equal(settings.get('DATABASE_URL'), 'postgres://gate:********@db:5432/gatehouse');
    assert.ok(
      ![...settings.values()].some((value) => value.includes(strongSecret) || value.includes('hunter2pass')),
    );
  });
});
