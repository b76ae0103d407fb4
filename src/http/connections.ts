import {
  createServer,
  STATUS_CODES,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { GatehouseError } from '../errors.ts';
import { clientSubject } from '../limits/subjects.ts';
import type { ConnectionRefusal, GatehouseMetrics } from '../metrics/prometheus.ts';
import { failureAnswer, type Dialect } from './dialect.ts';

/** SIGTERM gives the requests in flight this long, then the process exits anyway. */
export const drainTimeout = 10_000;
/**
 * Within a drain, every request still in flight is answered by this long after the signal (its deadline
 * brought forward), leaving the last second to send the answers and close.
 */
export const drainAnswerTime = drainTimeout - 1_000;

// How often Node looks for requests past REQUEST_TIMEOUT (its default, 30 s, let a slow client hold a
// request for up to twice the setting and more).
const timeoutCheckInterval = 1_000;
// Fastify's default: longer than the 60 s idle time of the usual load balancers, so that they close first.
const keepAliveTimeout = 72_000;
// In a drain, a connection whose answer has gone out waits this long for its client's next request.
const drainLinger = 1_000;
// A refused connection gets this long to read its 503 before it is cut.
const refusalLinger = 1_000;

export interface ConnectionOptions {
  /** open connections held at once; 0: no cap */
  maxConnections: number;
  /** when one client address may hold at most half the cap (not behind a trusted proxy: all share its) */
  capPerAddress: boolean;
  requestTimeout: number;
  /** the dialect a URL belongs to; `/` for a request whose URL is not known */
  dialectOf: (url: string) => Dialect;
  logger: Logger;
  metrics: GatehouseMetrics['http'];
}

/**
 * The sockets of the HTTP server: the connection cap, Node's own refusals (malformed requests, headers too
 * large, slow clients) in the dialect's envelope, and the drain on SIGTERM.
 */
export function manageConnections(options: ConnectionOptions) {
  const open = new Set<Socket>();
  const openByAddress = new Map<string, number>();
  /** the response each socket is busy with; a socket not here is idle or still receiving headers */
  const answering = new Map<Socket, ServerResponse>();
  let draining = false;
  const addressCap =
    options.capPerAddress && options.maxConnections > 0
      ? Math.max(1, Math.floor(options.maxConnections / 2))
      : 0;

  /** Why a new connection from `address` is refused, if it is. */
  const refusalOf = (address: string): ConnectionRefusal | undefined => {
    if (draining) return 'draining';
    if (options.maxConnections === 0) return undefined;
    if (open.size >= options.maxConnections) return 'cap';
    if (addressCap > 0 && (openByAddress.get(address) ?? 0) >= addressCap) return 'address_cap';
    return undefined;
  };

  const track = (socket: Socket, address: string) => {
    open.add(socket);
    openByAddress.set(address, (openByAddress.get(address) ?? 0) + 1);
    socket.once('close', () => {
      open.delete(socket);
      answering.delete(socket);
      const left = (openByAddress.get(address) ?? 1) - 1;
      if (left === 0) openByAddress.delete(address);
      else openByAddress.set(address, left);
    });
  };

  const refuse = (socket: Socket, reason: ConnectionRefusal) => {
    options.metrics.connectionRefused(reason);
    socket.on('error', () => {});
    const failure = new GatehouseError('service_unavailable', 'too many connections');
    socket.end(rawAnswer(options.dialectOf('/'), failure));
    // read and drop what the client sends, so that closing does not reset the connection before it reads
    socket.resume();
    socket.setTimeout(refusalLinger, () => socket.destroy());
  };

  const onRequest = (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    answering.set(socket, response);
    response.once('close', () => {
      if (answering.get(socket) !== response) return;
      answering.delete(socket);
      // A connection kept open by an answer that began before the drain lingers a moment, so that a request
      // its client sends next is answered 503 (and told to close) instead of finding the connection gone.
      if (draining) socket.setTimeout(drainLinger);
    });
  };

  return {
    /** Fastify's `serverFactory`: Node's HTTP server, with the cap in front of it and tighter timeouts. */
    createServer: (handler: (request: IncomingMessage, response: ServerResponse) => void): Server => {
      const server = createServer(
        {
          requestTimeout: options.requestTimeout,
          headersTimeout: options.requestTimeout,
          keepAliveTimeout,
          connectionsCheckingInterval: timeoutCheckInterval,
          // a request without Host is refused by the server's own hook, in the envelope
          requireHostHeader: false,
        },
        handler,
      );
      // the cap decides before Node's HTTP parser sees the socket: a refused one never reaches a route
      const serveConnection = server.listeners('connection');
      server.removeAllListeners('connection');
      server.on('connection', (socket: Socket) => {
        // as the per-IP rate limits count: an IPv6 client by its /64, which it could otherwise rotate through
        const address = clientSubject(socket.remoteAddress ?? '');
        const refusal = refusalOf(address);
        if (refusal !== undefined) {
          refuse(socket, refusal);
          return;
        }
        track(socket, address);
        for (const listener of serveConnection) (listener as (socket: Socket) => void).call(server, socket);
      });
      // before Fastify's handler, so that the socket counts as busy while the route runs
      server.prependListener('request', onRequest);
      options.metrics.watchConnections(() => open.size);
      return server;
    },

    /**
     * Fastify's `clientErrorHandler`: what Node refused before any route saw it (a malformed request, headers
     * too large, a request not received within REQUEST_TIMEOUT), answered in the dialect's envelope when the
     * connection can still carry an answer, then closed.
     */
    answerClientError: (error: Error & { code?: string }, socket: Socket): void => {
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      options.logger.debug({ code: error.code }, 'client error');
      const response = answering.get(socket);
      // an answer already begun on this socket cannot be followed by another
      if (socket.writable && response?.headersSent !== true) {
        const url = response?.req.url ?? requestLineUrl(error) ?? '/';
        const dialect = options.dialectOf(url);
        const failure = clientFailure(error.code);
        options.metrics.clientError(dialect.statusByCode[failure.code]);
        socket.write(rawAnswer(dialect, failure));
      }
      socket.destroy();
    },

    /** Whether the server is draining: a request that arrives now is answered 503. */
    isDraining: () => draining,

    /**
     * SIGTERM: idle connections and requests whose headers are still arriving are closed at once; the
     * requests being answered keep their connections until their answers are out.
     */
    drain: (): void => {
      draining = true;
      for (const socket of open) {
        if (!answering.has(socket)) socket.destroy();
      }
    },
  };
}

function clientFailure(code: string | undefined): GatehouseError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return new GatehouseError('headers_too_large', 'request headers too large');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new GatehouseError('request_timeout', 'request not received in time');
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new GatehouseError('payload_too_large', 'chunk extensions too large');
    default:
      return new GatehouseError('malformed_request', 'malformed request');
  }
}

/** The URL of the request line in what Node had received when it refused the request, if it is there. */
function requestLineUrl(error: Error): string | undefined {
  const received = 'rawPacket' in error ? error.rawPacket : undefined;
  if (!Buffer.isBuffer(received)) return undefined;
  return /^[A-Z]+ (\/\S*)/.exec(received.subarray(0, 2048).toString('latin1'))?.[1];
}

/** A whole HTTP/1.1 response for a failure, for a socket no Fastify reply stands for; it closes. */
function rawAnswer(dialect: Dialect, failure: GatehouseError): string {
  const { status, headers, body } = failureAnswer(dialect, failure);
  const payload = JSON.stringify(body);
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(payload)}`,
    'Cache-Control: no-store',
    'Connection: close',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n${payload}`;
}
