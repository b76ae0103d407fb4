import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.ts';

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

  it('bounds every database wait by default, the client a little after the server', () => {
    const config = loadConfig({});
    assert.equal(config.databaseConnectTimeout, 5_000);
    assert.equal(config.databaseStatementTimeout, 5_000);
    assert.equal(config.databaseQueryTimeout, 6_000);
    assert.equal(config.changeListenerHeartbeat, 2_000);
  });

  it('refuses a query deadline or a listener heartbeat of 0 or under 100ms, which would bound nothing', () => {
    for (const key of ['DATABASE_QUERY_TIMEOUT', 'CHANGE_LISTENER_HEARTBEAT']) {
      for (const value of ['0', '99ms']) {
        assert.throws(() => loadConfig({ [key]: value }), new RegExp(`${key}: must be at least 100ms`));
      }
      assert.doesNotThrow(() => loadConfig({ [key]: '100ms' }));
    }
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

  it('reads DJOSER_LOGIN_FIELD (email by default, or username) and refuses anything else', () => {
    assert.equal(loadConfig({}).djoserLoginField, 'email');
    assert.equal(loadConfig({ DJOSER_LOGIN_FIELD: 'username' }).djoserLoginField, 'username');
    assert.throws(() => loadConfig({ DJOSER_LOGIN_FIELD: 'phone' }), /DJOSER_LOGIN_FIELD/);
    assert.throws(() => loadConfig({ LOGIN_NAME_RESET_LINK: 'ftp://x/{token}' }), /LOGIN_NAME_RESET_LINK/);
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

  it('pins the documented rate limits, kept in the database unless REDIS_URL is set', () => {
    const config = loadConfig({});
    assert.deepEqual(config.rateLimits, {
      loginFailuresPerEmail: 10,
      loginAttemptsPerIp: 100,
      loginWindow: 15 * 60_000,
      registrationsPerIp: 20,
      mailsPerAddress: 5,
    });
    assert.equal(config.redisUrl, undefined);
    assert.equal(config.redisKeyPrefix, 'gatehouse:');
  });

  it('reads rate-limit settings, 0 included (that limit off)', () => {
    const config = loadConfig({
      LOGIN_FAILURES_PER_EMAIL: '0',
      LOGIN_ATTEMPTS_PER_IP: '250',
      RATE_LIMIT_WINDOW_LOGIN: '1h',
      REGISTRATIONS_PER_IP: '0',
      MAILS_PER_ADDRESS: '3',
      REDIS_URL: 'rediss://cache.internal:6380/2',
      REDIS_KEY_PREFIX: 'auth:',
    });
    assert.deepEqual(config.rateLimits, {
      loginFailuresPerEmail: 0,
      loginAttemptsPerIp: 250,
      loginWindow: 3_600_000,
      registrationsPerIp: 0,
      mailsPerAddress: 3,
    });
    assert.equal(config.redisUrl, 'rediss://cache.internal:6380/2');
    assert.equal(config.redisKeyPrefix, 'auth:');
  });

  it('rejects bad rate-limit settings, naming each', () => {
    assert.throws(
      () =>
        loadConfig({
          LOGIN_FAILURES_PER_EMAIL: '-1',
          LOGIN_ATTEMPTS_PER_IP: 'many',
          REGISTRATIONS_PER_IP: '2.5',
          MAILS_PER_ADDRESS: '1000001',
          RATE_LIMIT_WINDOW_LOGIN: '15 minutes',
          REDIS_URL: 'http://cache.internal:6379',
        }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /LOGIN_FAILURES_PER_EMAIL: must be >= 0/);
        assert.match(error.message, /LOGIN_ATTEMPTS_PER_IP: must be integer/);
        assert.match(error.message, /REGISTRATIONS_PER_IP: must be integer/);
        assert.match(error.message, /MAILS_PER_ADDRESS: must be <= 1000000/);
        assert.match(error.message, /RATE_LIMIT_WINDOW_LOGIN: must match pattern/);
        assert.match(error.message, /REDIS_URL: must match pattern/);
        return true;
      },
    );
  });

  it('rejects a login window shorter than the second Retry-After counts in', () => {
    for (const window of ['0', '999ms']) {
      assert.throws(
        () => loadConfig({ RATE_LIMIT_WINDOW_LOGIN: window }),
        /RATE_LIMIT_WINDOW_LOGIN: must be at least 1s/,
      );
    }
    assert.equal(loadConfig({ RATE_LIMIT_WINDOW_LOGIN: '1s' }).rateLimits.loginWindow, 1000);
  });

  it('refuses a fractional count rather than rounding it', () => {
    assert.throws(() => loadConfig({ PORT: '8000.5' }), /PORT: must be integer/);
  });

  it('takes a metrics token of at least 32 characters, and none by default (/metrics open)', () => {
    assert.equal(loadConfig({}).metricsToken, undefined);
    const token = 'k'.repeat(32);
    assert.equal(loadConfig({ METRICS_TOKEN: token }).metricsToken, token);
    assert.throws(() => loadConfig({ METRICS_TOKEN: 'k'.repeat(31) }), /METRICS_TOKEN/);
  });

  it('derives the issuer from HOST and PORT unless PUBLIC_URL is set, without a trailing slash', () => {
    assert.equal(loadConfig({ HOST: '127.0.0.1', PORT: '9000' }).publicUrl, 'http://127.0.0.1:9000');
    assert.equal(
      loadConfig({ PUBLIC_URL: 'https://auth.example.com/' }).publicUrl,
      'https://auth.example.com',
    );
  });

  it('pins the mail defaults: no SMTP_URL, a sender at the PUBLIC_URL host, 8 attempts from 1 min, 30 days kept', () => {
    const { mail } = loadConfig({ PUBLIC_URL: 'https://auth.example.com' });
    assert.deepEqual(mail, {
      appName: 'Gatehouse',
      smtpUrl: undefined,
      from: '"Gatehouse" <noreply@auth.example.com>',
      verifyEmailLink: undefined,
      passwordResetLink: undefined,
      loginNameResetLink: undefined,
      maxAttempts: 8,
      retryDelay: 60_000,
      pollInterval: 2_000,
      timeout: 10_000,
      retention: 30 * 86_400_000,
    });
    assert.equal(loadConfig({ APP_NAME: 'Acme "Login"' }).mail.from, '"Acme Login" <noreply@127.0.0.1>');
    assert.equal(loadConfig({ MAIL_FROM: 'ops@example.com' }).mail.from, 'ops@example.com');
  });

  it('takes smtp:// and smtps:// URLs and link templates holding {token}, and refuses anything else, naming each', () => {
    const config = loadConfig({
      SMTP_URL: 'smtps://user:pass@smtp.example.com:465',
      VERIFY_EMAIL_LINK: 'https://app.example.com/#/activate/{uid}/{token}',
      PASSWORD_RESET_LINK: 'https://app.example.com/reset?token={token}',
    });
    assert.equal(config.mail.smtpUrl, 'smtps://user:pass@smtp.example.com:465');
    assert.throws(
      () =>
        loadConfig({
          SMTP_URL: 'http://smtp.example.com',
          VERIFY_EMAIL_LINK: 'https://app.example.com/activate',
          PASSWORD_RESET_LINK: '/reset?token={token}',
          MAIL_MAX_ATTEMPTS: '0',
        }),
      (error: unknown) =>
        error instanceof ConfigError &&
        ['SMTP_URL', 'VERIFY_EMAIL_LINK', 'PASSWORD_RESET_LINK', 'MAIL_MAX_ATTEMPTS'].every((key) =>
          error.message.includes(`${key}:`),
        ),
    );
  });
});
