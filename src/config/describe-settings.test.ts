import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeSettings } from './describe-settings.ts';

const strongSecret = 'q8Jv2mXz7LwR4nTa9KcY1pHs6DgF3bVe';

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

  it('masks the metrics token and says when there is none', () => {
    const token = 'm'.repeat(16) + 'etrics-token-for-scrapers-only';
    const settings = new Map(describeSettings({ METRICS_TOKEN: token }));
    assert.equal(settings.get('METRICS_TOKEN'), '********');
    assert.ok(![...settings.values()].some((value) => value.includes(token)));
    assert.equal(new Map(describeSettings({})).get('METRICS_TOKEN'), '(unset)');
  });

  it('masks a Redis password, with or without a user name', () => {
    for (const [url, masked] of [
      ['redis://:hunter2pass@cache:6379/0', 'redis://:********@cache:6379/0'],
      ['rediss://gate:hunter2pass@cache:6380', 'rediss://gate:********@cache:6380'],
    ] as const) {
      assert.equal(new Map(describeSettings({ REDIS_URL: url })).get('REDIS_URL'), masked);
    }
    assert.equal(new Map(describeSettings({})).get('REDIS_URL'), '(unset)');
  });

  it('masks the whole of a password holding @, and passwords given as query parameters', () => {
    const databaseUrl = (url: string) => new Map(describeSettings({ DATABASE_URL: url })).get('DATABASE_URL');
    assert.equal(databaseUrl('postgres://bob:p@ss@db.example/app'), 'postgres://bob:********@db.example/app');
    assert.equal(
      databaseUrl('postgres://bob@db.example/app?password=hunter2secret&sslmode=require'),
      'postgres://bob@db.example/app?password=********&sslmode=require',
    );
    assert.equal(
      databaseUrl('postgres://db.example/app?sslpassword=hunter2secret'),
      'postgres://db.example/app?sslpassword=********',
    );
    // nothing to hide: as given, a SQLite path with a space included
    assert.equal(databaseUrl('sqlite:/tmp/my data/g.db'), 'sqlite:/tmp/my data/g.db');
  });
});
