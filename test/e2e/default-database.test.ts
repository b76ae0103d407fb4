import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { processEnvironment, scratchDir, startServer } from '../support/server-process.ts';
import { newUser } from '../support/test-app.ts';

describe('serve with nothing configured', () => {
  it('creates ./data/gatehouse.db and a kept secret key, and answers', async () => {
    const cwd = scratchDir();
    const env = processEnvironment();
    delete env.SECRET_KEY;
    delete env.DATA_DIR;
    const first = await startServer({ env, cwd });
    let token: string;
    const user = newUser('default');
    try {
      assert.equal((await first.request('GET', '/healthz')).status, 200);
      assert.equal((await first.request('GET', '/readyz')).status, 200);
      assert.ok(existsSync(join(cwd, 'data', 'gatehouse.db')));
      const secretFile = join(cwd, 'data', 'secret_key');
      assert.ok(existsSync(secretFile));
      assert.equal(statSync(secretFile).mode & 0o777, 0o600);

      const registered = await first.request('POST', '/api/users', { body: { user } });
      assert.equal(registered.status, 201, registered.text);
      token = (registered.body as { user: { token: string } }).user.token;
    } finally {
      assert.deepEqual(await first.stop(), { code: 0, signal: null });
    }

    // the generated key was kept: the signing keys it encrypts, and so old tokens, survive a restart
    const second = await startServer({ env, cwd });
    try {
      const current = await second.request('GET', '/api/user', { token });
      assert.equal(current.status, 200, current.text);
      assert.equal((current.body as { user: { email: string } }).user.email, user.email);
    } finally {
      await second.stop();
    }
  });
});
