import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { dialects } from '../support/databases.ts';
import { request, startTestApp, type TestApp } from '../support/test-app.ts';

const policy =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

// compiled to dist/test/http/, three levels below the repository
const web = (path: string) => fileURLToPath(new URL(`../../../web/admin/${path}`, import.meta.url));

function assertConsoleHeaders(headers: Record<string, unknown>, what: string) {
  assert.equal(headers['content-security-policy'], policy, what);
  assert.equal(headers['x-content-type-options'], 'nosniff', what);
  assert.equal(headers['referrer-policy'], 'no-referrer', what);
}

for (const dialect of dialects) {
  describe(`the console's files under /admin on ${dialect}`, () => {
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect);
    });
    after(() => test.close());

    it('answers /admin and /admin/ with the page, under the CSP and revalidated by its ETag', async () => {
      for (const url of ['/admin', '/admin/']) {
        const page = await request(test.app, 'GET', url);
        assert.equal(page.status, 200, url);
        assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
        assert.equal(page.text, readFileSync(web('index.html'), 'utf8'));
        assertConsoleHeaders(page.headers, url);
        assert.equal(page.headers['cache-control'], 'no-cache');
        const etag = String(page.headers.etag);
        assert.match(etag, /^"[\w-]+"$/);
        const again = await request(test.app, 'GET', url, { headers: { 'if-none-match': etag } });
        assert.equal(again.status, 304);
        assert.equal(again.text, '');
        assertConsoleHeaders(again.headers, `${url} (304)`);
        const changed = await request(test.app, 'GET', url, { headers: { 'if-none-match': '"other"' } });
        assert.equal(changed.status, 200);
      }
    });

    it('serves its modules, stylesheet and chart.js with their types', async () => {
      const expected = [
        ['/admin/assets/main.js', 'text/javascript; charset=utf-8'],
        ['/admin/assets/pages/user.js', 'text/javascript; charset=utf-8'],
        ['/admin/assets/console.css', 'text/css; charset=utf-8'],
        ['/admin/assets/chart.umd.min.js', 'text/javascript; charset=utf-8'],
      ] as const;
      for (const [url, type] of expected) {
        const asset = await request(test.app, 'GET', url);
        assert.equal(asset.status, 200, url);
        assert.equal(asset.headers['content-type'], type, url);
        assertConsoleHeaders(asset.headers, url);
        assert.equal(asset.headers['cache-control'], 'no-cache', url);
      }
      const main = await request(test.app, 'GET', '/admin/assets/main.js');
      assert.equal(main.text, readFileSync(web('assets/main.js'), 'utf8'));
    });

    it('answers an unknown console URL 404 in the envelope, under the same headers, naming no file', async () => {
      for (const url of [
        '/admin/assets/missing.js',
        '/admin/assets/..%2f..%2fpackage.json',
        '/admin/users',
      ]) {
        const answer = await request(test.app, 'GET', url);
        assert.equal(answer.status, 404, url);
        assert.equal(answer.headers['content-type'], 'application/json; charset=utf-8', url);
        assertConsoleHeaders(answer.headers, url);
        assert.doesNotMatch(answer.text, /gatehouse|version/i, url);
      }
    });

    it('keeps the page free of inline script and style, which the CSP would block', () => {
      const page = readFileSync(web('index.html'), 'utf8');
      assert.doesNotMatch(page, /style=|<style|<script>|<script(?![^>]*\bsrc=)[^>]*>/);
    });
  });
}
