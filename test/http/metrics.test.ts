import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { dialects } from '../support/databases.ts';
import { poll } from '../support/poll.ts';
import { registerUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import { invalidToken } from './conduit-shapes.ts';
import { parseExposition, scrape } from '../support/exposition.ts';

const requests = 'gatehouse_http_requests_total';
const durations = 'gatehouse_http_request_duration_seconds_count';

// Every metric of our own, whether or not anything has been counted yet.
const gatehouseMetrics = [
  'gatehouse_http_requests_total',
  'gatehouse_http_request_duration_seconds',
  'gatehouse_logins_total',
  'gatehouse_registrations_total',
  'gatehouse_token_refreshes_total',
  'gatehouse_session_revocations_total',
  'gatehouse_rate_limit_refusals_total',
  'gatehouse_rate_limit_store_fallback',
  'gatehouse_session_cache_hits_total',
  'gatehouse_session_cache_misses_total',
  'gatehouse_token_cache_hits_total',
  'gatehouse_token_cache_misses_total',
];
const postgresGauges = [
  'gatehouse_database_pool_connections',
  'gatehouse_database_pool_idle_connections',
  'gatehouse_database_pool_waiting_queries',
  'gatehouse_change_listener_up',
];

for (const dialect of dialects) {
  describe(`GET /metrics on ${dialect}`, () => {
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect);
    });
    after(() => test.close());

    it('answers the Prometheus text format, never cached, with every metric and the process metrics', async () => {
      const response = await request(test.app, 'GET', '/metrics');
      assert.equal(response.status, 200);
      assert.equal(response.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
      assert.equal(response.headers['cache-control'], 'no-store');
      const exposition = parseExposition(response.text);
      for (const name of gatehouseMetrics) assert.ok(exposition.types.has(name), name);
      assert.equal(exposition.types.get(requests), 'counter');
      assert.equal(exposition.types.get('gatehouse_http_request_duration_seconds'), 'histogram');
      // prom-client's process and runtime metrics, under our prefix
      for (const name of [
        'gatehouse_process_cpu_seconds_total',
        'gatehouse_process_resident_memory_bytes',
        'gatehouse_nodejs_heap_size_used_bytes',
        'gatehouse_nodejs_eventloop_lag_seconds',
      ]) {
        assert.ok(exposition.types.has(name), name);
      }
      assert.ok(![...exposition.types.keys()].some((name) => !name.startsWith('gatehouse_')));
    });

    it('counts N requests under their route pattern and status, exactly', async () => {
      const users = await Promise.all([1, 2, 3, 4, 5, 6, 7].map(() => registerUser(test.app)));
      const route = '/api/profiles/:username';
      const before = await scrape(test.app);
      for (const user of users) {
        assert.equal((await request(test.app, 'GET', `/api/profiles/${user.username}`)).status, 200);
      }
      for (const name of ['nobody-1', 'nobody-2', 'nobody-3']) {
        assert.equal((await request(test.app, 'GET', `/api/profiles/${name}`)).status, 404);
      }
      const after = await scrape(test.app);
      const moved = (name: string, labels: Record<string, string>) =>
        after.value(name, labels) - before.value(name, labels);
      assert.equal(moved(requests, { method: 'GET', route, status: '200' }), 7);
      assert.equal(moved(requests, { method: 'GET', route, status: '404' }), 3);
      assert.equal(moved(durations, { method: 'GET', route }), 10);
      // the scrape before is counted too, once it has been answered
      assert.equal(moved(requests, { method: 'GET', route: '/metrics', status: '200' }), 1);
      const routes = after.labelValues(requests, 'route');
      assert.ok(![...routes].some((label) => users.some((user) => label.includes(user.username))));
    });

    it('counts any URL no route matches under one `unmatched` route, however many there are', async () => {
      const before = await scrape(test.app);
      const noises = Array.from({ length: 50 }, () => randomBytes(6).toString('hex'));
      // among them, URLs the router cannot even read
      const paths = noises.map((noise, index) =>
        index % 10 === 0 ? `/api/profiles/%E0%A4-${noise}` : `/${noise}/${index}`,
      );
      for (const path of paths) assert.equal((await request(test.app, 'GET', path)).status, 404);
      assert.equal((await request(test.app, 'POST', '/auth/nowhere/', { body: {} })).status, 404);
      const after = await scrape(test.app);
      const moved = (labels: Record<string, string>) =>
        after.value(requests, labels) - before.value(requests, labels);
      assert.equal(moved({ method: 'GET', route: 'unmatched', status: '404' }), 50);
      assert.equal(moved({ method: 'POST', route: 'unmatched', status: '404' }), 1);
      const routesBefore = before.labelValues(requests, 'route');
      const routesAfter = after.labelValues(requests, 'route');
      // /metrics itself may have joined; nothing else
      assert.deepEqual(
        [...routesAfter].filter((route) => !routesBefore.has(route) && route !== '/metrics'),
        routesBefore.has('unmatched') ? [] : ['unmatched'],
      );
      const text = (await request(test.app, 'GET', '/metrics')).text;
      assert.ok(!noises.some((noise) => text.includes(noise)));
    });

    if (dialect === 'postgres') {
      it("shows the pool's connections and that the change listener is up", async () => {
        const exposition = await poll(
          () => scrape(test.app),
          (answer) => answer.value('gatehouse_change_listener_up') === 1,
        );
        assert.equal(exposition.value('gatehouse_change_listener_up'), 1);
        assert.ok(exposition.value('gatehouse_database_pool_connections') >= 1);
        assert.ok(
          exposition.value('gatehouse_database_pool_idle_connections') <=
            exposition.value('gatehouse_database_pool_connections'),
        );
        assert.equal(exposition.value('gatehouse_database_pool_waiting_queries'), 0);
      });
    } else {
      it('shows no pool or listener gauges: SQLite has neither', async () => {
        const exposition = await scrape(test.app);
        for (const name of postgresGauges) assert.ok(!exposition.types.has(name), name);
      });
    }
  });

  describe(`GET /metrics with METRICS_TOKEN set on ${dialect}`, () => {
    const metricsToken = randomBytes(24).toString('base64url');
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect, { env: { METRICS_TOKEN: metricsToken } });
    });
    after(() => test.close());

    it('answers the exposition to a Bearer (or Token) carrying it', async () => {
      for (const scheme of ['Bearer', 'bearer', 'Token']) {
        const exposition = await scrape(test.app, { authorization: `${scheme} ${metricsToken}` });
        assert.ok(exposition.types.has(requests));
      }
    });

    it('answers 401 in the Conduit envelope, and no metric, to anything else', async () => {
      const user = await registerUser(test.app);
      const attempts: Array<[Record<string, string>, string]> = [
        [{}, 'token_missing'],
        [{ authorization: '' }, 'token_missing'],
        [{ authorization: `Bearer ${metricsToken}x` }, 'token_invalid'],
        [{ authorization: `Bearer ${metricsToken.slice(0, -1)}` }, 'token_invalid'],
        [{ authorization: `Basic ${metricsToken}` }, 'token_invalid'],
        [{ authorization: metricsToken }, 'token_invalid'],
        // a user's own token is no metrics token
        [{ authorization: `Token ${user.token}` }, 'token_invalid'],
      ];
      for (const [headers, code] of attempts) {
        const response = await request(test.app, 'GET', '/metrics', { headers });
        const label = `${JSON.stringify(headers)}: ${response.text}`;
        assert.equal(response.status, 401, label);
        assert.match(String(response.headers['www-authenticate']), /Bearer realm="gatehouse"/);
        if (code === 'token_missing') assert.deepEqual(response.body, { errors: { token: ['is missing'] } });
        else assert.deepEqual(response.body, invalidToken, label);
        assert.ok(!response.text.includes('gatehouse_'), label);
      }
      const exposition = await scrape(test.app, { authorization: `Bearer ${metricsToken}` });
      assert.equal(
        exposition.value(requests, { method: 'GET', route: '/metrics', status: '401' }),
        attempts.length,
      );
    });
  });
}
