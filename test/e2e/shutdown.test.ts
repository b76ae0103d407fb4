import assert from 'node:assert/strict';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, dialects, type TestDatabase } from '../support/databases.ts';
import { processEnvironment, startServer, type ServerProcess } from '../support/server-process.ts';
import { newUser } from '../support/test-app.ts';

/** A connection to the server that keeps everything it receives, and when it was closed. */
async function openConnection(port: number) {
  const socket = connect({ port, host: '127.0.0.1' });
  await once(socket, 'connect');
  const connection = { socket, received: '', closedAt: undefined as number | undefined };
  socket.setEncoding('utf8').on('data', (chunk: string) => (connection.received += chunk));
  socket.on('error', () => {});
  socket.once('close', () => (connection.closedAt = Date.now()));
  return connection;
}

// Every wait of this file is bounded: a test that cannot go on fails, never hangs.
const answerTimeout = 15_000;
const closeTimeout = 5_000;

/** Resolves when `socket` has closed; rejects after `timeout` ms. */
async function closed(socket: Socket, timeout = closeTimeout): Promise<void> {
  if (socket.closed) return;
  const late = rejectAfter(timeout, 'the connection was not closed');
  // the race's loser must not fail the run later as an unhandled rejection
  late.catch(() => undefined);
  await Promise.race([once(socket, 'close'), late]);
}

async function rejectAfter(ms: number, what: string): Promise<never> {
  await sleep(ms, undefined, { ref: false });
  throw new Error(`${what} within ${ms} ms`);
}

/** Waits until `received` holds a whole answer (headers and a Content-Length body) after `from`. */
async function nextAnswer(connection: { socket: Socket; received: string }, from = 0): Promise<string> {
  const deadline = Date.now() + answerTimeout;
  for (;;) {
    const text = connection.received.slice(from);
    const end = text.indexOf('\r\n\r\n');
    const length = /content-length: (\d+)/i.exec(text)?.[1];
    if (end >= 0 && length !== undefined && text.length >= end + 4 + Number(length)) {
      return text.slice(0, end + 4 + Number(length));
    }
    if (connection.socket.closed) throw new Error(`closed before an answer: ${text}`);
    if (Date.now() > deadline) throw new Error(`no whole answer within ${answerTimeout} ms: ${text}`);
    // whichever comes first: more data, the connection's end, or a moment to look again
    await Promise.race([once(connection.socket, 'data'), once(connection.socket, 'close'), sleep(100)]);
  }
}

for (const dialect of dialects) {
  describe(`SIGTERM on ${dialect}`, () => {
    let database: TestDatabase;
    let server: ServerProcess;
    let env: Record<string, string>;
    before(async () => {
      database = await createTestDatabase(dialect);
      env = processEnvironment({ DATABASE_URL: database.url });
      server = await startServer({ env });
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

    it('closes idle and half-sent connections at once, answers the one in flight, 503s what comes next, and exits 0', async () => {
      server = await startServer({ env });
      const user = newUser('drain');
      assert.equal((await server.request('POST', '/api/users', { body: { user } })).status, 201);

      // idle: one answer received, the connection kept open
      const idle = await openConnection(server.port);
      idle.socket.write('GET /healthz HTTP/1.1\r\nHost: gatehouse\r\n\r\n');
      assert.match(await nextAnswer(idle), /^HTTP\/1\.1 200/);
      // half-sent: the headers never finish
      const halfSent = await openConnection(server.port);
      halfSent.socket.write('POST /api/users/login HTTP/1.1\r\nHost: gatehouse\r\nContent-Ty');
      // in flight: headers read, the body still coming, on a connection that stays open afterwards
      const inFlight = await openConnection(server.port);
      const body = JSON.stringify({ user: { email: user.email, password: user.password } });
      inFlight.socket.write(
        'POST /api/users/login HTTP/1.1\r\nHost: gatehouse\r\nContent-Type: application/json\r\n' +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 10)}`,
      );
      // stalled: headers read, the body never finishes
      const stalled = await openConnection(server.port);
      stalled.socket.write(
        'PUT /api/user HTTP/1.1\r\nHost: gatehouse\r\nContent-Type: application/json\r\n' +
          'Content-Length: 100\r\n\r\n{"user":',
      );
      await server.waitForLine(
        (line) =>
          server.stdout.filter((each) => each.includes('incoming request')).length >= 4 &&
          line.includes('incoming request'),
      );

      const signalled = Date.now();
      server.child.kill('SIGTERM');
      await server.waitForLine((line) => line.includes('"draining"'));
      await Promise.all([closed(idle.socket), closed(halfSent.socket)]);
      for (const closed of [idle, halfSent]) assert.ok((closed.closedAt ?? Infinity) - signalled < 1_000);
      assert.equal(halfSent.received, '');

      // the rest of the body, and the next request on that connection right behind it (pipelined, so that
      // it is there however long this process takes to read the first answer)
      inFlight.socket.write(`${body.slice(10)}GET /api/user HTTP/1.1\r\nHost: gatehouse\r\n\r\n`);
      const answer = await nextAnswer(inFlight);
      assert.match(answer, /^HTTP\/1\.1 200/);
      assert.ok(answer.includes(user.email));
      // that next request is turned away in the envelope, told when to retry and to close
      const turnedAway = await nextAnswer(inFlight, answer.length);
      assert.match(turnedAway, /^HTTP\/1\.1 503/);
      assert.match(turnedAway, /\r\nretry-after: \d+\r\n/i);
      assert.match(turnedAway, /\r\nconnection: close\r\n/i);
      assert.ok(turnedAway.endsWith('{"errors":{"body":["is temporarily unavailable, retry later"]}}'));

      // the stalled request is answered before the drain runs out, as a request not received in time
      const timedOut = await nextAnswer(stalled);
      assert.match(timedOut, /^HTTP\/1\.1 408/);
      assert.ok(timedOut.endsWith('{"errors":{"body":["was not received in time"]}}'));

      const exit = await server.exited(10_000);
      assert.deepEqual(exit, { code: 0, signal: null });
      assert.ok(Date.now() - signalled < 10_000);
      assert.deepEqual(server.stderr, []);
    });
  });
}
