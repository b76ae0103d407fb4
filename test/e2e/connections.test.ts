import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, dialects, type TestDatabase } from '../support/databases.ts';
import { parseExposition } from '../support/exposition.ts';
import { processEnvironment, startServer, type ServerProcess } from '../support/server-process.ts';

const requestTimeout = 1_000;
// Node looks for late requests once a second: a slow client is cut within the setting and that second
const cutWithin = requestTimeout + 1_500;
// How long any one wait of these tests may take before it fails rather than hangs.
const waitLimit = 15_000;

interface Connection {
  socket: Socket;
  /** everything the server sent */
  received: string;
  openedAt: number;
  /** resolves with the time from opening to the close */
  closed: Promise<number>;
}

async function openConnection(port: number, localAddress = '127.0.0.1'): Promise<Connection> {
  const socket = connect({ port, host: '127.0.0.1', localAddress });
  const openedAt = Date.now();
  // bounded, as every wait here: a server that never closes fails the test instead of hanging it
  const closed = Promise.race([
    once(socket, 'close').then(() => Date.now() - openedAt),
    sleep(waitLimit, undefined, { ref: false }).then(() => {
      throw new Error(`the server did not close the connection within ${waitLimit} ms`);
    }),
  ]);
  // a connection whose closing no test awaits must not fail the run later as an unhandled rejection
  closed.catch(() => undefined);
  const connection: Connection = { socket, received: '', openedAt, closed };
  socket.setEncoding('utf8').on('data', (chunk: string) => (connection.received += chunk));
  socket.on('error', () => {});
  await once(socket, 'connect');
  return connection;
}

/** Sends `text`, then waits until the server closes the connection; what it answered and when. */
async function exchange(port: number, text: string): Promise<{ answer: string; closedAfter: number }> {
  const connection = await openConnection(port);
  connection.socket.write(text);
  const closedAfter = await connection.closed;
  return { answer: connection.received, closedAfter };
}

/** A raw answer's status, lower-cased headers and parsed JSON body. */
function parseAnswer(answer: string) {
  const end = answer.indexOf('\r\n\r\n');
  assert.ok(end > 0, `not an HTTP answer: ${JSON.stringify(answer)}`);
  const [statusLine = '', ...headerLines] = answer.slice(0, end).split('\r\n');
  const headers = Object.fromEntries(
    headerLines.map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
    }),
  );
  return {
    status: Number(statusLine.split(' ')[1]),
    headers,
    body: JSON.parse(answer.slice(end + 4)) as unknown,
  };
}

/** GET `path` over this connection, kept open: the answer's status and body text. */
async function getOver(connection: Connection, path: string): Promise<{ status: number; text: string }> {
  const from = connection.received.length;
  connection.socket.write(`GET ${path} HTTP/1.1\r\nHost: gatehouse\r\n\r\n`);
  for (;;) {
    const answer = connection.received.slice(from);
    const end = answer.indexOf('\r\n\r\n');
    const length = Number(/content-length: (\d+)/i.exec(answer)?.[1] ?? NaN);
    if (end >= 0 && answer.length >= end + 4 + length) {
      return { status: Number(answer.split(' ')[1]), text: answer.slice(end + 4, end + 4 + length) };
    }
    if (connection.socket.closed) throw new Error(`closed before an answer: ${answer}`);
    if (Date.now() - connection.openedAt > waitLimit) throw new Error(`no answer within ${waitLimit} ms`);
    await Promise.race([once(connection.socket, 'data'), once(connection.socket, 'close'), sleep(100)]);
  }
}

/** GET /healthz over this connection: the proof that it is served. */
async function healthOver(connection: Connection): Promise<number> {
  return (await getOver(connection, '/healthz')).status;
}

for (const dialect of dialects) {
  describe(`refusals on the wire on ${dialect}`, () => {
    let database: TestDatabase;
    let server: ServerProcess;
    before(async () => {
      database = await createTestDatabase(dialect);
      server = await startServer({
        env: processEnvironment({ DATABASE_URL: database.url, REQUEST_TIMEOUT: `${requestTimeout}ms` }),
      });
    });
    after(async () => {
      await server.stop();
      await database.drop();
    });

    it('answers headers too large 431 in the envelope of the URL', async () => {
      const big = `X-Filler: ${'a'.repeat(20_000)}\r\n`;
      const conduit = parseAnswer(
        (await exchange(server.port, `GET /api/user HTTP/1.1\r\nHost: gatehouse\r\n${big}\r\n`)).answer,
      );
      assert.equal(conduit.status, 431);
      assert.deepEqual(conduit.body, { errors: { headers: ['are too large'] } });
      assert.equal(conduit.headers['content-type'], 'application/json; charset=utf-8');
      const djoser = parseAnswer(
        (await exchange(server.port, `GET /auth/users/me/ HTTP/1.1\r\nHost: gatehouse\r\n${big}\r\n`)).answer,
      );
      assert.equal(djoser.status, 431);
      assert.deepEqual(djoser.body, { detail: 'Request header fields too large.' });
    });

    it('answers a malformed request 400 in the envelope, whatever is wrong with it', async () => {
      for (const text of [
        'GET /api/user HTTP/9.9\r\nHost: gatehouse\r\n\r\n',
        'FROB /api/user HTTP/1.1\r\nHost: gatehouse\r\n\r\n',
        'GET /api/\u0001 HTTP/1.1\r\nHost: gatehouse\r\n\r\n',
        'not http at all\r\n\r\n',
        'POST /api/users HTTP/1.1\r\nHost: gatehouse\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      ]) {
        const { status, body, headers } = parseAnswer((await exchange(server.port, text)).answer);
        assert.equal(status, 400, text);
        assert.deepEqual(body, { errors: { body: ['is not a valid HTTP request'] } }, text);
        assert.equal(headers.connection, 'close');
      }
      for (const text of [
        'GET /auth/users/me/ HTTP/1.1\r\nHost: gatehouse\r\nNo colon here\r\n\r\n',
        'GET /auth/users/me/ HTTP/1.1\r\nConnection: close\r\n\r\n',
      ]) {
        const djoser = parseAnswer((await exchange(server.port, text)).answer);
        assert.equal(djoser.status, 400, text);
        assert.deepEqual(djoser.body, { detail: 'Bad Request.' }, text);
      }
      const withoutHost = parseAnswer(
        (await exchange(server.port, 'GET /api/user HTTP/1.1\r\nConnection: close\r\n\r\n')).answer,
      );
      assert.equal(withoutHost.status, 400);
      assert.deepEqual(withoutHost.body, { errors: { body: ['is not a valid HTTP request'] } });
    });

    it('answers headers sent byte by byte 408 and closes, within REQUEST_TIMEOUT and a second', async () => {
      const connection = await openConnection(server.port);
      const text = 'GET /api/user HTTP/1.1\r\nHost: gatehouse\r\nX-Slow: ' + 'z'.repeat(100);
      void (async () => {
        for (const character of text) {
          if (connection.socket.destroyed) return;
          connection.socket.write(character);
          await sleep(50);
        }
      })();
      const closedAfter = await connection.closed;
      assert.ok(closedAfter >= requestTimeout && closedAfter < cutWithin, `closed after ${closedAfter} ms`);
      const { status, body } = parseAnswer(connection.received);
      assert.equal(status, 408);
      assert.deepEqual(body, { errors: { body: ['was not received in time'] } });
    });

    it('answers a body that stops coming 408 in the envelope of its URL, within REQUEST_TIMEOUT and a second', async () => {
      const { answer, closedAfter } = await exchange(
        server.port,
        'POST /auth/users/ HTTP/1.1\r\nHost: gatehouse\r\nContent-Type: application/json\r\n' +
          'Content-Length: 200\r\n\r\n{"username":',
      );
      assert.ok(closedAfter >= requestTimeout && closedAfter < cutWithin, `closed after ${closedAfter} ms`);
      const { status, body } = parseAnswer(answer);
      assert.equal(status, 408);
      assert.deepEqual(body, { detail: 'Request timed out.' });
    });

    it('answers a connection that never sends a byte 408 and closes it, within REQUEST_TIMEOUT and a second', async () => {
      const connection = await openConnection(server.port);
      const closedAfter = await connection.closed;
      assert.ok(closedAfter >= requestTimeout && closedAfter < cutWithin, `closed after ${closedAfter} ms`);
      const { status, body } = parseAnswer(connection.received);
      assert.equal(status, 408);
      assert.deepEqual(body, { errors: { body: ['was not received in time'] } });
    });

    it('still serves a client that sends its request in time, and counts what it refused', async () => {
      const connection = await openConnection(server.port);
      assert.equal(await healthOver(connection), 200);
      const metrics = parseExposition((await getOver(connection, '/metrics')).text);
      connection.socket.destroy();
      const refused = (status: string) => metrics.value('gatehouse_http_client_errors_total', { status });
      assert.deepEqual(
        ['400', '408', '431'].map((status) => refused(status)),
        [6, 3, 2],
      );
    });
  });

  describe(`MAX_CONNECTIONS on ${dialect}`, () => {
    let database: TestDatabase;
    let server: ServerProcess;
    const held: Connection[] = [];
    before(async () => {
      database = await createTestDatabase(dialect);
      server = await startServer({
        env: processEnvironment({ DATABASE_URL: database.url, MAX_CONNECTIONS: '4' }),
      });
    });
    after(async () => {
      for (const connection of held) connection.socket.destroy();
      await server.stop();
      await database.drop();
    });

    /** A connection the cap refused: 503 in the envelope with Retry-After, closed at once. */
    async function assertRefused(localAddress: string): Promise<void> {
      const connection = await openConnection(server.port, localAddress);
      connection.socket.write('GET /healthz HTTP/1.1\r\nHost: gatehouse\r\n\r\n');
      const closedAfter = await connection.closed;
      assert.ok(closedAfter < 500, `closed after ${closedAfter} ms`);
      const { status, headers, body } = parseAnswer(connection.received);
      assert.equal(status, 503);
      assert.match(headers['retry-after'] ?? '', /^\d+$/);
      assert.equal(headers.connection, 'close');
      assert.deepEqual(body, { errors: { body: ['is temporarily unavailable, retry later'] } });
    }

    it('lets one client address hold half the connections, and refuses its next at once', async () => {
      for (let index = 0; index < 2; index += 1) held.push(await openConnection(server.port, '127.0.0.1'));
      await assertRefused('127.0.0.1');
      // another client is not shut out by the first
      for (let index = 0; index < 2; index += 1) held.push(await openConnection(server.port, '127.0.0.2'));
      for (const connection of held) assert.equal(await healthOver(connection), 200);
    });

    it('refuses every client beyond the cap, and takes one again once a connection closes', async () => {
      await assertRefused('127.0.0.3');
      const [first] = held.splice(0, 1);
      first?.socket.destroy();
      await first?.closed;
      // the server counts the close when it sees it
      await sleep(100);
      const again = await openConnection(server.port, '127.0.0.3');
      held.push(again);
      assert.equal(await healthOver(again), 200);

      const metrics = parseExposition((await getOver(again, '/metrics')).text);
      assert.equal(metrics.value('gatehouse_http_open_connections'), 4);
      for (const reason of ['cap', 'address_cap']) {
        assert.equal(metrics.value('gatehouse_http_connections_refused_total', { reason }), 1, reason);
      }
    });
  });
}
