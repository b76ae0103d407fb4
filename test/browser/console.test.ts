import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, skipWithoutChromium } from '../support/chromium.ts';
import { createTestDatabase, dialects, type TestDatabase } from '../support/databases.ts';
import { poll } from '../support/poll.ts';
import {
  processEnvironment,
  runCommand,
  startServer,
  type ServerProcess,
} from '../support/server-process.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';

// compiled to dist/test/browser/; screenshots go beside the clone's sources, in a folder git ignores
const artifacts = fileURLToPath(new URL('../../../test-artifacts/console/', import.meta.url));

const expectedPolicy =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const cookieName = 'gatehouse_console';
const staffPassword = 'console staff passphrase 1';
const userPassword = 'ordinary user passphrase 2';
const reason = 'Reported for credential stuffing from the console test';
// one more than the console's page of users, so that the list has a second page
const crowd = 26;

/**
 * A page of the console that records what must never happen: a CSP violation (reported by the
 * `securitypolicyviolation` event and as a console error), an uncaught exception.
 */
async function openPage(context: BrowserContext): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const problems: string[] = [];
  // an init script runs through the DevTools protocol, outside the page's CSP
  await page.addInitScript(
    'document.addEventListener("securitypolicyviolation", (event) => console.error(' +
      '`CSP violation: ${event.violatedDirective} ${event.blockedURI}`))',
  );
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|CSP violation/i.test(message.text())) {
      problems.push(message.text());
    }
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  return { page, problems };
}

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

/** Opens the console and submits the sign-in form; asserts the page came under the console's CSP. */
async function signIn(page: Page, url: string, email: string, password: string): Promise<void> {
  const response = await page.goto(`${url}/admin`);
  assert.equal(response?.status(), 200);
  assert.equal(await response.headerValue('content-security-policy'), expectedPolicy);
  assert.equal(await response.headerValue('x-content-type-options'), 'nosniff');
  assert.equal(await response.headerValue('referrer-policy'), 'no-referrer');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

for (const dialect of dialects) {
  describe(`the staff console in Chromium, on ${dialect}`, { skip: skipWithoutChromium }, () => {
    let database: TestDatabase;
    let server: ServerProcess;
    let browser: Browser;
    let smtp: SmtpSink;
    let user: { id?: string; email: string; username: string; token: string };
    const staffEmail = `root-${dialect}@example.com`;

    before(async () => {
      database = await createTestDatabase(dialect);
      // every mail fails at once (a 5xx answer) until the test accepts them, so the outbox has one to retry
      smtp = await startSmtpSink();
      smtp.refuse(550, 'Mailbox unavailable');
      const env = processEnvironment({
        DATABASE_URL: database.url,
        PUBLIC_URL: 'http://127.0.0.1',
        SMTP_URL: smtp.url,
        MAIL_POLL_INTERVAL: '100ms',
        REGISTRATIONS_PER_IP: '1000',
      });
      const migrated = await runCommand(['migrate'], { env });
      assert.equal(migrated.code, 0, migrated.stderr);
      const created = await runCommand(
        ['createsuperuser', '--no-input', '--email', staffEmail, '--username', 'root'],
        { env: { ...env, GATEHOUSE_SUPERUSER_PASSWORD: staffPassword } },
      );
      assert.equal(created.code, 0, created.stderr);
      server = await startServer({ env });
      const email = `ada-${dialect}@example.com`;
      const registered = await server.request('POST', '/api/users', {
        body: { user: { email, username: `ada_${dialect}`, password: userPassword } },
      });
      assert.equal(registered.status, 201, registered.text);
      const { token } = (registered.body as { user: { token: string } }).user;
      user = { email, username: `ada_${dialect}`, token };
      // one failed sign-in for the chart
      const failed = await server.request('POST', '/api/users/login', {
        body: { user: { email, password: 'not the password at all' } },
      });
      assert.equal(failed.status, 401);
      for (let index = 0; index < crowd; index++) {
        const member = await server.request('POST', '/api/users', {
          body: {
            user: {
              email: `crowd${index}-${dialect}@example.com`,
              username: `crowd${index}_${dialect}`,
              password: userPassword,
            },
          },
        });
        assert.equal(member.status, 201, member.text);
      }
      browser = await launchChromium();
    });
    after(async () => {
      await browser.close();
      await server.stop();
      await smtp.stop();
      await database.drop();
    });

    it('refuses a non-staff account at sign-in, with a message and no cookie', async () => {
      const context = await browser.newContext();
      try {
        const { page, problems } = await openPage(context);
        await signIn(page, server.url, user.email, userPassword);
        await assert.doesNotReject(
          page.getByRole('alert').filter({ hasText: 'only staff may use the console' }).waitFor(),
        );
        assert.deepEqual(await context.cookies(), []);
        await screenshot(page, `${dialect}-sign-in-refused`);
        assert.deepEqual(problems, []);
      } finally {
        await context.close();
      }
    });

    it('says why a sign-in failed: a wrong password, then a locked email', async () => {
      const context = await browser.newContext();
      try {
        const { page, problems } = await openPage(context);
        const email = `locked-${dialect}@example.com`;
        await signIn(page, server.url, email, 'not the password at all');
        await assert.doesNotReject(
          page.getByRole('alert').filter({ hasText: 'Wrong email or password.' }).waitFor(),
        );
        // the email's tenth failure locks it (LOGIN_FAILURES_PER_EMAIL, 10 by default), at every door
        for (let attempt = 2; attempt <= 10; attempt++) {
          const failed = await server.request('POST', '/api/users/login', {
            body: { user: { email, password: 'not the password at all' } },
          });
          assert.equal(failed.status, 401);
        }
        await page.getByLabel('Password').fill('not the password at all');
        await page.getByRole('button', { name: 'Sign in' }).click();
        await assert.doesNotReject(
          page
            .getByRole('alert')
            .filter({ hasText: /Too many attempts: sign-in is locked/ })
            .waitFor(),
        );
        assert.deepEqual(await context.cookies(), []);
        assert.deepEqual(problems, []);
      } finally {
        await context.close();
      }
    });

    it('signs in, draws the chart, finds and deactivates a user, reads the audit log and outbox, signs out', async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      try {
        const { page, problems } = await openPage(context);
        const signedIn = page.waitForResponse(
          (response) =>
            response.url().endsWith('/api/admin/session') && response.request().method() === 'POST',
        );
        await signIn(page, server.url, staffEmail, staffPassword);
        const signInAnswer = await signedIn;
        assert.equal(signInAnswer.status(), 200);
        const setCookie = (await signInAnswer.headerValue('set-cookie')) ?? '';
        assert.match(setCookie, new RegExp(`^${cookieName}=`));
        assert.match(setCookie, /;\s*HttpOnly/i);
        assert.match(setCookie, /;\s*SameSite=Strict/i);
        assert.match(setCookie, /;\s*Path=\//i);
        const [cookie] = (await context.cookies()).filter(({ name }) => name === cookieName);
        assert.ok(cookie !== undefined, 'no console cookie after sign-in');
        assert.equal(cookie.httpOnly, true);
        assert.equal(cookie.sameSite, 'Strict');
        assert.equal(cookie.path, '/');

        // Overview: the chart drawn from 30 days of numbers, and the same numbers in a table
        const chart = page.getByRole('img', { name: 'Sign-ups and sign-ins per day' });
        await chart.waitFor();
        await assert.doesNotReject(page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor());
        // expressions evaluated in the page (this file is compiled without the DOM's types)
        const series = await page.evaluate<{ label: string; data: number[] }[]>(
          'Chart.getChart(document.getElementById("activity-chart")).data.datasets' +
            '.map((set) => ({ label: set.label, data: set.data }))',
        );
        assert.deepEqual(
          series.map(({ label }) => label),
          ['Sign-ups', 'Sign-ins', 'Failed sign-ins'],
        );
        for (const { data } of series) assert.equal(data.length, 30);
        const sum = (index: number) => series[index]?.data.reduce((total, value) => total + value, 0) ?? 0;
        assert.ok(sum(0) >= 1, 'no sign-up in the chart');
        assert.ok(sum(1) >= 1, 'no sign-in in the chart');
        assert.ok(sum(2) >= 1, 'no failed sign-in in the chart');
        const painted = await page.evaluate<number>(
          '(() => { const canvas = document.getElementById("activity-chart");' +
            ' const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);' +
            ' let count = 0; for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) count++; return count; })()',
        );
        assert.ok(painted > 1000, `only ${painted} pixels drawn`);
        const table = page.getByRole('table', { name: /Sign-ups and sign-ins per day/ });
        assert.equal(await table.getByRole('row').count(), 31);
        // the browser holds no credential a script could read, and nothing in storage
        assert.deepEqual(
          await page.evaluate('[document.cookie, localStorage.length, sessionStorage.length]'),
          ['', 0, 0],
        );
        await screenshot(page, `${dialect}-overview`);

        // a reload keeps the session: the cookie is sent, the CSRF token fetched again
        await page.reload();
        await assert.doesNotReject(page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor());

        // Users: search, then open the user's page
        await page.getByRole('link', { name: 'Users', exact: true }).click();
        await assert.doesNotReject(page.getByRole('heading', { name: 'Users', level: 1 }).waitFor());
        // pages of a search: 25 of the crowd, then the last one
        await page.getByLabel('Search users').fill('crowd');
        await page.getByRole('button', { name: 'Search' }).click();
        // the unfiltered first page listed the staff account too; the search's does not
        await page.getByRole('link', { name: staffEmail }).waitFor({ state: 'detached' });
        const status = page.getByRole('status');
        await assert.doesNotReject(
          status.filter({ hasText: '25 users shown, more on the next page.' }).waitFor(),
        );
        assert.equal(await page.getByRole('button', { name: 'Previous' }).isDisabled(), true);
        await page.getByRole('button', { name: 'Next' }).click();
        await assert.doesNotReject(status.filter({ hasText: '1 user shown.' }).waitFor());
        // a search lists by the name it matched, A to Z by code point: crowd9 comes after crowd25
        await assert.doesNotReject(
          page.getByRole('link', { name: `crowd9-${dialect}@example.com` }).waitFor(),
        );
        assert.equal(await page.getByRole('button', { name: 'Next' }).isDisabled(), true);
        await page.getByRole('button', { name: 'Previous' }).click();
        await assert.doesNotReject(status.filter({ hasText: '25 users shown' }).waitFor());
        // newest first, the same search starts with the last of the crowd to sign up and ends with the first
        await page.getByLabel('Sort').selectOption({ label: 'Newest first' });
        const firstRow = page.getByRole('table', { name: 'Users' }).getByRole('row').nth(1);
        await assert.doesNotReject(
          firstRow.getByRole('link', { name: `crowd${String(crowd - 1)}-${dialect}@example.com` }).waitFor(),
        );
        await page.getByRole('button', { name: 'Next' }).click();
        await assert.doesNotReject(status.filter({ hasText: '1 user shown.' }).waitFor());
        await assert.doesNotReject(
          page.getByRole('link', { name: `crowd0-${dialect}@example.com` }).waitFor(),
        );
        await page.getByLabel('Sort').selectOption({ index: 0 });

        await page.getByLabel('Search users').fill(user.email.slice(0, 6).toUpperCase());
        await page.getByLabel('Search users').press('Enter');
        const link = page.getByRole('link', { name: user.email });
        await link.waitFor();
        await assert.doesNotReject(page.getByRole('status').filter({ hasText: '1 user shown' }).waitFor());
        await screenshot(page, `${dialect}-users`);
        await link.click();
        await assert.doesNotReject(page.getByRole('heading', { name: user.email, level: 1 }).waitFor());
        assert.equal(await page.evaluate('document.activeElement.tagName'), 'H1');
        user.id = decodeURIComponent(new URL(page.url()).hash.replace('#/users/', ''));

        // a password-reset mail, for the outbox to show
        await page.getByRole('button', { name: 'Send password reset' }).click();
        await page.getByRole('dialog').getByRole('button', { name: 'Send' }).click();
        await assert.doesNotReject(
          page.getByRole('status').filter({ hasText: 'password-reset mail' }).waitFor(),
        );

        // Deactivate, with a reason, confirmed in the dialog; the unsafe request carries the CSRF token
        assert.equal((await server.request('GET', '/api/user', { token: user.token })).status, 200);
        await page.getByRole('button', { name: 'Deactivate' }).click();
        const dialog = page.getByRole('dialog');
        await dialog.getByLabel('Reason').fill(reason);
        const deactivation = page.waitForRequest((request) => request.url().endsWith('/deactivate'));
        await dialog.getByRole('button', { name: 'Deactivate' }).click();
        const sent = await deactivation;
        assert.ok(((await sent.headerValue('x-csrf-token')) ?? '') !== '', 'no X-CSRF-Token header');
        await assert.doesNotReject(page.getByRole('button', { name: 'Activate' }).waitFor());
        const refused = await poll(
          () => server.request('GET', '/api/user', { token: user.token }),
          (answer) => answer.status === 401,
          2000,
        );
        assert.equal(refused.status, 401);
        // the audit entry, on the user's page
        const events = page.getByRole('table', { name: 'Latest audit events of this user' });
        await assert.doesNotReject(events.getByRole('cell', { name: `Reason: ${reason}` }).waitFor());
        await screenshot(page, `${dialect}-user`);

        // ... and in the audit log
        await page.getByRole('link', { name: 'Audit log', exact: true }).click();
        await assert.doesNotReject(page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor());
        await page.getByLabel('User ID').fill(user.id);
        await page.getByRole('button', { name: 'Apply filters' }).click();
        await assert.doesNotReject(
          page
            .getByRole('cell', { name: `Reason: ${reason}` })
            .first()
            .waitFor(),
        );
        const csv = await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href');
        assert.equal(csv, `/api/admin/audit.csv?user=${encodeURIComponent(user.id)}`);
        await screenshot(page, `${dialect}-audit`);

        // Outbox: the user's mails
        await page.getByRole('link', { name: 'Outbox', exact: true }).click();
        await assert.doesNotReject(page.getByRole('heading', { name: 'Outbox', level: 1 }).waitFor());
        await assert.doesNotReject(page.getByRole('cell', { name: user.email }).first().waitFor());
        // a failed mail, retried once the mail server takes mail again
        const retry = page.getByRole('button', { name: `Retry the mail to ${user.email}` }).first();
        const failedShown = await poll(
          async () => {
            await page.getByLabel('State').selectOption('queued');
            await page.getByLabel('State').selectOption('failed');
            await page
              .getByRole('status')
              .filter({ hasText: /shown|match/ })
              .waitFor();
            return retry.isVisible();
          },
          (visible) => visible,
          10_000,
        );
        assert.ok(failedShown, "no failed mail of the user's to retry");
        await screenshot(page, `${dialect}-outbox`);
        smtp.accept();
        await retry.click();
        await page.getByRole('dialog').getByRole('button', { name: 'Retry' }).click();
        await assert.doesNotReject(page.getByRole('status').filter({ hasText: 'queued again' }).waitFor());
        const delivered = await smtp.waitFor(1, 10_000);
        assert.ok(delivered.some((mail) => mail.to.includes(user.email)));

        // Sign out: back to the form, and the old cookie opens nothing
        await page.getByRole('button', { name: 'Sign out' }).click();
        await assert.doesNotReject(page.getByRole('button', { name: 'Sign in' }).waitFor());
        const stale = { cookie: `${cookieName}=${cookie.value}` };
        assert.equal((await server.request('GET', '/api/admin/session', { headers: stale })).status, 401);
        assert.equal((await server.request('GET', '/api/admin/users', { headers: stale })).status, 401);
        assert.deepEqual(
          (await context.cookies()).filter(({ name }) => name === cookieName),
          [],
        );
        assert.deepEqual(problems, []);
      } finally {
        await context.close();
      }
    });
  });
}
