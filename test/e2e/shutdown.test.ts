import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, dialects, type TestDatabase } from '../support/databases.ts';
import { processEnvironment, startServer, type ServerProcess } from '../support/server-process.ts';
import { newUser } from '../support/test-app.ts';

for (const dialect of dialects) {
  describe(`SIGTERM on ${dialect}`, () => {
    let database: TestDatabase;
    let server: ServerProcess;
    before(async () => {
      database = await createTestDatabase(dialect);
      server = await startServer({ env: processEnvironment({ DATABASE_URL: database.url }) });
    });
    after(async () => {
      await server.stop();
      await database.drop();
    });

    it('lets a request in flight finish, then exits 0 within 10 seconds', async () => {
      const user = newUser('drain');
      const registered = await server.request('POST', '/api/users', { body: { user } });
      assert.equal(registered.status, 201);

      // The request is in flight from the server's point of view: headers read, half the body still to come.
      const body = JSON.stringify({ user: { email: user.email, password: user.password } });
      const pending = httpRequest(new URL('/api/users/login', server.url), {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      });
      const response = new Promise<IncomingMessage>((resolve, reject) => {
        pending.once('response', resolve);
        pending.once('error', reject);
      });
      pending.write(body.slice(0, 10));
      await server.waitForLine(
        (line) => line.includes('/api/users/login') && line.includes('incoming request'),
      );

      const signalled = Date.now();
      server.child.kill('SIGTERM');
      await server.waitForLine((line) => line.includes('"draining"'));
      // new connections are no longer taken while the old one drains
      const late = await fetch(new URL('/healthz', server.url)).then(
        (answer) => answer.status,
        () => 'refused',
      );
      assert.ok(late === 'refused' || late === 503, `a new request was served during the drain: ${late}`);

      pending.end(body.slice(10));
      const answer = await response;
      let text = '';
      for await (const chunk of answer) text += String(chunk);
      assert.equal(answer.statusCode, 200, text);
      assert.equal((JSON.parse(text) as { user: { email: string } }).user.email, user.email);

      const exit = await server.exited(10_000);
      assert.deepEqual(exit, { code: 0, signal: null });
      assert.ok(Date.now() - signalled < 10_000);
      assert.deepEqual(server.stderr, []);
    });
  });
}
