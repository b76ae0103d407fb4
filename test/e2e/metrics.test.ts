import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, dialects, type TestDatabase } from '../support/databases.ts';
import { parseExposition } from '../support/exposition.ts';
import { processEnvironment, startServer, type ServerProcess } from '../support/server-process.ts';
import { newUser } from '../support/test-app.ts';

for (const dialect of dialects) {
  describe(`GET /metrics of the started server on ${dialect}`, () => {
    const metricsToken = randomBytes(32).toString('hex');
    let database: TestDatabase;
    let server: ServerProcess;
    before(async () => {
      database = await createTestDatabase(dialect);
      server = await startServer({
        env: processEnvironment({ DATABASE_URL: database.url, METRICS_TOKEN: metricsToken }),
      });
    });
    after(async () => {
      await server.stop();
      await database.drop();
    });

    it('answers Prometheus text with what the server did, to the holder of METRICS_TOKEN only', async () => {
      assert.equal((await server.request('GET', '/healthz')).status, 200);
      const user = newUser('metrics');
      assert.equal((await server.request('POST', '/api/users', { body: { user } })).status, 201);
      const login = await server.request('POST', '/auth/jwt/create/', {
        body: { email: user.email, password: 'not-it' },
      });
      assert.equal(login.status, 401);

      const refused = await server.request('GET', '/metrics');
      assert.equal(refused.status, 401);
      assert.ok(!refused.text.includes('gatehouse_'));

      const response = await server.request('GET', '/metrics', {
        headers: { authorization: `Bearer ${metricsToken}` },
      });
      assert.equal(response.status, 200, response.text);
      assert.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
      assert.equal(response.headers.get('cache-control'), 'no-store');
      const exposition = parseExposition(response.text);
      const requests = (route: string, status: string, method = 'GET') =>
        exposition.value('gatehouse_http_requests_total', { method, route, status });
      assert.equal(requests('/healthz', '200'), 1);
      assert.equal(requests('/api/users', '201', 'POST'), 1);
      assert.equal(requests('/metrics', '401'), 1);
      assert.equal(
        exposition.value('gatehouse_logins_total', { dialect: 'djoser', outcome: 'invalid_credentials' }),
        1,
      );
      assert.ok(exposition.value('gatehouse_process_start_time_seconds') > 0);
      assert.ok(exposition.value('gatehouse_process_resident_memory_bytes') > 0);
      assert.equal(exposition.types.has('gatehouse_database_pool_connections'), dialect === 'postgres');
    });
  });
}
