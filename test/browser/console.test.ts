import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, skipWithoutChromium } from '../support/chromium.ts';
import { parseCsv } from '../support/csv.ts';
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
// a comma and quotes, for the CSV export's quoting
const pauseReason = 'Paused, "holiday" request';
// the user agents of two sessions of the user: the second one a formula for a spreadsheet, with a comma
// and quotes, which the CSV export must neutralise and quote
const laptop = 'Firefox on the laptop';
const phone = '=1+1, "phone"';
// the browser's own time, 9 hours ahead of UTC all year: a local time typed in a dialog is not UTC
const timezoneId = 'Asia/Tokyo';
const csvHeader = 'id,at,type,userId,actor,actorId,sessionId,ip,userAgent,requestId,detail';
// what Chromium's accessibility tree calls a control, each of which must have a name (`DateTime` is its
// role for a datetime-local field)
const controlRoles = new Set([
  'button',
  'checkbox',
  'combobox',
  'DateTime',
  'link',
  'listbox',
  'radio',
  'searchbox',
  'slider',
  'spinbutton',
  'textbox',
]);
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

/** Saves what the page shows: all of it, or (with a modal dialog open) the window the user sees. */
async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage });
}

/**
 * The controls that Chromium's accessibility tree gives no name (role and what it knows of them): what a
 * screen reader would announce as just "button" or "edit text".
 */
async function unnamedControls(page: Page): Promise<string[]> {
  const session = await page.context().newCDPSession(page);
  try {
    const { nodes } = await session.send('Accessibility.getFullAXTree');
    return nodes
      .filter((node) => !node.ignored && controlRoles.has(String(node.role?.value)))
      .filter((node) => String(node.name?.value ?? '').trim() === '')
      .map((node) => `${String(node.role?.value)} #${node.backendDOMNodeId ?? '?'}`);
  } finally {
    await session.detach();
  }
}

/** The claims of a JWT (whose signature the server that issued it checks). */
function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
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
    // the staff member's signed-in page, which the tests from the sign-in on share (one sign-in, one page)
    let staffContext: BrowserContext | undefined;
    let page: Page;
    let problems: string[];
    let consoleCookie: { cookie: string };

    /** Signs in to the API as `email`, from a device named `userAgent`. */
    const signInAs = (email: string, password: string, userAgent = 'console test') =>
      server.request('POST', '/api/users/login', {
        body: { user: { email, password } },
        headers: { 'user-agent': userAgent },
      });
    /** A fact of the Account section of a user page, by its term. */
    const fact = (term: string) =>
      page
        .getByRole('region', { name: 'Account' })
        .locator(`xpath=.//dt[normalize-space()="${term}"]/following-sibling::dd[1]`);
    /** Opens a user's page as an operator does: Users, a search, the result. */
    async function openUser(email: string): Promise<void> {
      await page.getByRole('link', { name: 'Users', exact: true }).click();
      await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
      await page.getByLabel('Search users').fill(email);
      await page.getByLabel('Search users').press('Enter');
      await page.getByRole('link', { name: email, exact: true }).click();
      await page.getByRole('heading', { name: email, level: 1 }).waitFor();
    }
    /** Fills the open dialog's fields by label, confirms it with `confirmLabel`, and waits for it to close. */
    async function confirmDialog(confirmLabel: string, fields: Record<string, string> = {}): Promise<void> {
      const dialog = page.getByRole('dialog');
      for (const [label, value] of Object.entries(fields)) await dialog.getByLabel(label).fill(value);
      await dialog.getByRole('button', { name: confirmLabel, exact: true }).click();
      await dialog.waitFor({ state: 'detached' });
    }

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
      // Every step is tried even when one throws: a `before` that failed halfway left the later ones unmade,
      // and an SMTP sink or a browser left open would keep this file running until the runner's limit.
      const steps: (() => Promise<unknown> | undefined)[] = [
        () => staffContext?.close(),
        () => browser.close(),
        () => server.stop(),
        () => smtp.stop(),
        () => database.drop(),
      ];
      const failures: unknown[] = [];
      for (const step of steps)
        await Promise.resolve()
          .then(step)
          .catch((error: unknown) => failures.push(error));
      if (failures.length > 0) throw failures[0];
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

    it('signs in, draws the chart, finds and deactivates a user, reads the audit log and outbox', async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId });
      staffContext = context;
      ({ page, problems } = await openPage(context));
      const signedIn = page.waitForResponse(
        (response) => response.url().endsWith('/api/admin/session') && response.request().method() === 'POST',
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
      assert.deepEqual(await page.evaluate('[document.cookie, localStorage.length, sessionStorage.length]'), [
        '',
        0,
        0,
      ]);
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
      await assert.doesNotReject(page.getByRole('link', { name: `crowd9-${dialect}@example.com` }).waitFor());
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
      await assert.doesNotReject(page.getByRole('link', { name: `crowd0-${dialect}@example.com` }).waitFor());
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

      consoleCookie = { cookie: `${cookieName}=${cookie.value}` };
      assert.deepEqual(problems, []);
    });

    it('activates the user, revokes one session then all, clears the lock, sets roles, resends verification, deactivates until a time', async () => {
      const id = user.id ?? '';
      const { email } = user;
      await openUser(email);

      // Activate, after the deactivation above: the user signs in again
      assert.equal((await signInAs(email, userPassword)).status, 401);
      await page.getByRole('button', { name: 'Activate' }).click();
      await confirmDialog('Activate', { 'Reason (optional)': 'Cleared after a call with the user' });
      await page.getByRole('status').filter({ hasText: 'The user is active again.' }).waitFor();
      assert.equal(await fact('Active').textContent(), 'Yes');
      // two sessions, from two devices; then wrong guesses until the email is locked
      const onLaptop = await signInAs(email, userPassword, laptop);
      const onPhone = await signInAs(email, userPassword, phone);
      assert.equal(onLaptop.status, 200, onLaptop.text);
      assert.equal(onPhone.status, 200, onPhone.text);
      const laptopToken = (onLaptop.body as { user: { token: string } }).user.token;
      const phoneToken = (onPhone.body as { user: { token: string } }).user.token;
      let guess = await signInAs(email, 'not the password at all');
      for (let attempt = 1; guess.status === 401 && attempt <= 10; attempt++) {
        guess = await signInAs(email, 'not the password at all');
      }
      assert.equal(guess.status, 429, 'the email was not locked by ten wrong guesses');
      assert.equal((await signInAs(email, userPassword)).status, 429);

      // what an operator sees after a reload: both sessions, the lock; every control named
      await page.reload();
      await page.getByRole('heading', { name: email, level: 1 }).waitFor();
      const sessions = page.getByRole('table', { name: /^Live sessions/ });
      assert.equal(await sessions.getByRole('row').count(), 3);
      const lock = page.getByRole('region', { name: 'Sign-in lock' });
      assert.match(
        (await lock.getByRole('paragraph').textContent()) ?? '',
        /^Locked until \d{4}-\d\d-\d\d \d\d:\d\d UTC after \d+ failed sign-ins\.$/,
      );
      assert.deepEqual(await unnamedControls(page), []);
      await screenshot(page, `${dialect}-user-sessions-locked`);

      // Revoke the phone's session only: its token is refused, the laptop's still works
      await sessions.getByRole('button', { name: `Revoke the session from ${phone}, started` }).click();
      await confirmDialog('Revoke');
      await page.getByRole('status').filter({ hasText: 'The session is revoked.' }).waitFor();
      assert.equal(await sessions.getByRole('row').count(), 2);
      assert.equal(await sessions.getByRole('cell', { name: laptop, exact: true }).count(), 1);
      assert.equal((await server.request('GET', '/api/user', { token: phoneToken })).status, 401);
      assert.equal((await server.request('GET', '/api/user', { token: laptopToken })).status, 200);

      // Revoke all sessions: Escape first cancels, as a user changing their mind; focus comes back
      const revokeAll = page.getByRole('button', { name: 'Revoke all sessions' });
      await revokeAll.click();
      await page.getByRole('dialog', { name: `Sign ${email} out everywhere?` }).waitFor();
      await page.keyboard.press('Escape');
      await page.getByRole('dialog').waitFor({ state: 'detached' });
      assert.equal(await page.evaluate('document.activeElement.textContent'), 'Revoke all sessions');
      assert.equal((await server.request('GET', '/api/user', { token: laptopToken })).status, 200);
      await revokeAll.click();
      await confirmDialog('Revoke all sessions');
      await page.getByRole('status').filter({ hasText: 'Every session of the user is revoked.' }).waitFor();
      await page.getByRole('region', { name: 'Sessions' }).getByText('No live sessions.').waitFor();
      assert.equal((await server.request('GET', '/api/user', { token: laptopToken })).status, 401);

      // Clear the lock by keyboard alone: Tab to the button, Enter, and Enter on the dialog's answer
      const focusedText = () => page.evaluate<string>('document.activeElement?.textContent ?? ""');
      for (let presses = 0; presses < 30 && (await focusedText()) !== 'Clear lock'; presses++) {
        await page.keyboard.press('Tab');
      }
      assert.equal(await focusedText(), 'Clear lock', 'Tab never reached "Clear lock"');
      await page.keyboard.press('Enter');
      await page.getByRole('dialog', { name: `Clear the sign-in lock of ${email}?` }).waitFor();
      assert.equal(await page.evaluate('document.activeElement.closest("dialog") !== null'), true);
      assert.equal(await focusedText(), 'Clear lock');
      await page.keyboard.press('Enter');
      await page.getByRole('status').filter({ hasText: 'The sign-in lock is cleared.' }).waitFor();
      assert.equal(await lock.getByRole('paragraph').textContent(), 'Not locked (0 recent failed sign-ins).');
      assert.equal(await lock.getByRole('button', { name: 'Clear lock' }).count(), 0);
      assert.equal((await signInAs(email, userPassword)).status, 200);

      // Roles: typed loosely, saved normalised, and carried by the next token
      const roles = page.getByRole('textbox', { name: 'Roles', exact: true });
      await roles.fill(' Organizer, attendee ,');
      await page.getByRole('button', { name: 'Save roles' }).click();
      await page.getByRole('status').filter({ hasText: 'Roles saved.' }).waitFor();
      assert.equal(await fact('Roles').textContent(), 'attendee, organizer');
      assert.equal(await roles.inputValue(), 'attendee, organizer');
      // the audit entry names the new roles, and leaves out the empty "previous" of a user who had none
      await page
        .getByRole('table', { name: 'Latest audit events of this user' })
        .getByRole('cell', { name: 'roles=attendee organizer', exact: true })
        .waitFor();
      const withRoles = await signInAs(email, userPassword);
      assert.equal(withRoles.status, 200, withRoles.text);
      const rolesToken = (withRoles.body as { user: { token: string } }).user.token;
      assert.deepEqual(claimsOf(rolesToken).roles, ['attendee', 'organizer']);
      await screenshot(page, `${dialect}-user-roles-lock-cleared`);

      // Resend verification: the mail reaches the SMTP server, and its link verifies the address
      const mailsBefore = smtp.received.length;
      await page.getByRole('button', { name: 'Resend verification' }).click();
      await confirmDialog('Send');
      await page.getByRole('status').filter({ hasText: 'A verification mail is queued' }).waitFor();
      const mails = await smtp.waitFor(mailsBefore + 1, 10_000);
      const mail = mails.slice(mailsBefore).find((received) => received.to.includes(email));
      assert.ok(mail !== undefined, 'no verification mail to the user');
      assert.match(mail.subject, /^Confirm your email address/);
      const token = /\/verify-email\?token=([^\s&"]+)/.exec(mail.text)?.[1];
      assert.ok(token !== undefined, mail.text);
      const confirmed = await server.request('POST', '/api/users/verification/confirm', {
        body: { token: decodeURIComponent(token) },
      });
      assert.equal(confirmed.status, 200, confirmed.text);
      await page.reload();
      await page.getByRole('heading', { name: email, level: 1 }).waitFor();
      assert.equal(await fact('Email verified').textContent(), 'Yes');
      assert.equal(await page.getByRole('button', { name: 'Resend verification' }).count(), 0);

      // Deactivate until a time typed in the browser's own time (9 hours ahead of UTC), shown both ways
      const day = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
      const until = `${day}T00:30:00.000Z`;
      await page.getByRole('button', { name: 'Deactivate' }).click();
      const dialog = page.getByRole('dialog', { name: `Deactivate ${email}?` });
      await dialog.getByLabel('Reason').fill(pauseReason);
      await dialog.getByLabel('Until (optional)').fill(`${day}T09:30`);
      assert.deepEqual(await unnamedControls(page), []);
      await dialog.getByText(`Your local time (${timezoneId})`).waitFor();
      await screenshot(page, `${dialect}-deactivate-until-dialog`, false);
      await confirmDialog('Deactivate');
      await page.getByRole('status').filter({ hasText: 'The user is deactivated' }).waitFor();
      assert.equal(await fact('Until').textContent(), `${day} 00:30 UTC (${day} 09:30 your time)`);
      assert.equal(await fact('Reason').textContent(), pauseReason);
      // no mail is offered to a deactivated account, which the API would refuse
      assert.equal(await page.getByRole('button', { name: 'Send password reset' }).count(), 0);
      const shown = await server.request('GET', `/api/admin/users/${encodeURIComponent(id)}`, {
        headers: consoleCookie,
      });
      assert.equal(shown.status, 200, shown.text);
      const { deactivation } = (shown.body as { user: { deactivation: { reason: string; until: string } } })
        .user;
      assert.equal(deactivation.reason, pauseReason);
      assert.equal(deactivation.until, until);
      assert.equal((await signInAs(email, userPassword)).status, 401);
      await screenshot(page, `${dialect}-user-deactivated-until`);
      assert.deepEqual(problems, []);
    });

    it('grants staff as a superuser, and refuses a change of their own flags with a message', async () => {
      const member = `crowd0-${dialect}@example.com`;
      const signedIn = await signInAs(member, userPassword);
      assert.equal(signedIn.status, 200, signedIn.text);
      const memberToken = (signedIn.body as { user: { token: string } }).user.token;
      assert.equal((await server.request('GET', '/api/admin/users', { token: memberToken })).status, 403);

      await openUser(member);
      const staffBox = page.getByRole('checkbox', { name: 'Staff', exact: true });
      await staffBox.check();
      await page.getByRole('button', { name: 'Save flags' }).click();
      await page.getByRole('dialog').getByText('Staff: Yes. Superuser: No.').waitFor();
      await confirmDialog('Save flags', { 'Reason (optional)': 'Runs the support desk' });
      await page.getByRole('status').filter({ hasText: 'Staff flags saved.' }).waitFor();
      assert.equal(await fact('Staff').textContent(), 'Yes');
      assert.equal(await staffBox.isChecked(), true);
      // the same token opens the staff API now
      assert.equal((await server.request('GET', '/api/admin/users', { token: memberToken })).status, 200);
      await screenshot(page, `${dialect}-flags-granted`);

      // their own Superuser flag: refused, said in an alert brought into view, and the box ticked again
      await openUser(staffEmail);
      const superuser = page.getByRole('checkbox', { name: 'Superuser', exact: true });
      await superuser.uncheck();
      await page.getByRole('button', { name: 'Save flags' }).click();
      await confirmDialog('Save flags');
      const alert = page.getByRole('alert').filter({ hasText: 'Staff cannot do this to their own account.' });
      await alert.waitFor();
      assert.equal(await page.evaluate('document.activeElement.getAttribute("role")'), 'alert');
      assert.equal(await superuser.isChecked(), true);
      assert.equal(await fact('Superuser').textContent(), 'Yes');
      const rootId = (await fact('ID').textContent()) ?? '';
      const root = await server.request('GET', `/api/admin/users/${encodeURIComponent(rootId)}`, {
        token: memberToken,
      });
      assert.equal(root.status, 200, root.text);
      assert.equal((root.body as { user: { isSuperuser: boolean } }).user.isSuperuser, true);
      await screenshot(page, `${dialect}-flags-self-refused`);
      assert.deepEqual(problems, []);
    });

    it('downloads the audit CSV of a user through the page: every event, quoted, formulas neutralised', async () => {
      const id = user.id ?? '';
      await page.getByRole('link', { name: 'Audit log', exact: true }).click();
      await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
      await page.getByLabel('User ID').fill(id);
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page
        .getByRole('cell', { name: `Reason: ${pauseReason}` })
        .first()
        .waitFor();
      await screenshot(page, `${dialect}-audit-actions`);
      const downloading = page.waitForEvent('download');
      await page.getByRole('link', { name: 'Download CSV' }).click();
      const download = await downloading;
      assert.equal(download.suggestedFilename(), 'gatehouse-audit.csv');
      const text = readFileSync(await download.path(), 'utf8');

      const listed = await server.request(
        'GET',
        `/api/admin/audit?user=${encodeURIComponent(id)}&limit=100`,
        {
          headers: consoleCookie,
        },
      );
      assert.equal(listed.status, 200, listed.text);
      const { events, nextCursor } = listed.body as { events: { id: string }[]; nextCursor: string | null };
      assert.equal(nextCursor, null);
      assert.ok(text.startsWith(`${csvHeader}\r\n`) && text.endsWith('\r\n'), text.slice(0, 200));
      const [header = [], ...records] = parseCsv(text);
      assert.deepEqual(header, csvHeader.split(','));
      // every event of the user, newest first, as the API lists them
      assert.deepEqual(
        records.map((record) => record[0]),
        events.map((event) => event.id),
      );
      assert.ok(records.every((record) => record.length === header.length && record[3] === id));
      // every staff action on the user is in it, with the staff member as actor
      const byStaff = new Set(records.filter((record) => record[4] === 'staff').map((record) => record[2]));
      for (const type of [
        'password_reset_mailed',
        'deactivated',
        'activated',
        'session_revoked',
        'sessions_revoked',
        'lock_cleared',
        'roles_changed',
        'verification_mailed',
      ]) {
        assert.ok(byStaff.has(type), `no ${type} by staff in the CSV`);
      }
      // the phone's user agent: a formula made text, its comma and quotes quoted
      assert.ok(
        text.includes(`,"'=1+1, ""phone""",`),
        'the formula user agent is not neutralised and quoted',
      );
      assert.ok(records.some((record) => record[8] === `'${phone}`));
      // the latest deactivation's detail: JSON, its quotes doubled
      const latest = records.find((record) => record[2] === 'deactivated');
      assert.equal((JSON.parse(latest?.[10] ?? '{}') as { reason?: string }).reason, pauseReason);
      assert.ok(
        text.includes('"{""reason"":""Paused, \\""holiday\\"" request""'),
        'the detail is not quoted',
      );
      assert.deepEqual(problems, []);
    });

    it('signs out: back to the form, and the old cookie opens nothing', async () => {
      await page.getByRole('button', { name: 'Sign out' }).click();
      await assert.doesNotReject(page.getByRole('button', { name: 'Sign in' }).waitFor());
      assert.equal(
        (await server.request('GET', '/api/admin/session', { headers: consoleCookie })).status,
        401,
      );
      assert.equal((await server.request('GET', '/api/admin/users', { headers: consoleCookie })).status, 401);
      assert.deepEqual(
        (await page.context().cookies()).filter(({ name }) => name === cookieName),
        [],
      );
      assert.deepEqual(problems, []);
    });
  });
}
