import type pg from 'pg';
import { keepAliveIdle, postgresDriver } from './postgres-pool.ts';

export interface ListenHandlers {
  onMessage(payload: string): void;
  /** listening (again): messages are heard from now on */
  onConnected(): void;
  /** listening no more (the connection was lost or missed a heartbeat): messages are missed until onConnected */
  onGap(): void;
  /**
   * Another process changed the database and no message said what (SQLite, where the CLI writes to the
   * server's file): anything cached from it may be stale
   */
  onUnannounced(): void;
  onError(error: Error): void;
}

export interface Listener {
  close(): Promise<void>;
  /** Connected and listening right now; absent where nothing listens (SQLite). */
  readonly isListening?: () => boolean;
}

export interface ListenOptions {
  url: string;
  channel: string;
  connectTimeout: number;
  /** how often the connection is checked with a trivial query, and how long that query may take */
  heartbeat: number;
}

// A lost listener retries quickly at first, then every few seconds; meanwhile sessions are read through.
const firstRetryDelay = 200;
const maxRetryDelay = 5_000;

/**
 * LISTEN on its own connection (a pooled one would be handed to queries), reconnecting for as long as
 * the process lives. A connection can go silent without closing (a NAT or load balancer forgets it), and
 * a silent connection delivers no notification and no error: so a trivial query checks it every heartbeat,
 * and one not answered within the heartbeat counts as a loss. Notifications are only delivered to a
 * connection that is listening, so each loss reports a gap.
 */
export function listenOn(options: ListenOptions, handlers: ListenHandlers): Listener {
  const { channel, heartbeat } = options;
  let client: pg.Client | undefined;
  let closed = false;
  let retryDelay = firstRetryDelay;
  let retryTimer: NodeJS.Timeout | undefined;
  let heartbeatTimer: NodeJS.Timeout | undefined;

  function scheduleReconnect(): void {
    if (closed || retryTimer !== undefined) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void connect();
    }, retryDelay);
    retryTimer.unref();
    retryDelay = Math.min(retryDelay * 2, maxRetryDelay);
  }

  function checkEveryHeartbeat(listening: pg.Client, lost: (error: Error) => void): void {
    heartbeatTimer = setTimeout(() => {
      // the client's query_timeout is the heartbeat: an unanswered check fails with 'Query read timeout'
      listening.query('select 1').then(() => {
        if (client === listening) checkEveryHeartbeat(listening, lost);
      }, lost);
    }, heartbeat);
    heartbeatTimer.unref();
  }

  async function connect(): Promise<void> {
    const next = new (postgresDriver().Client)({
      connectionString: options.url,
      connectionTimeoutMillis: options.connectTimeout,
      query_timeout: heartbeat,
      keepAlive: true,
      keepAliveInitialDelayMillis: keepAliveIdle,
    });
    let gone = false;
    const lost = (error?: Error) => {
      if (gone || closed) return;
      gone = true;
      if (error !== undefined) handlers.onError(error);
      if (client === next) {
        client = undefined;
        clearTimeout(heartbeatTimer);
        handlers.onGap();
      }
      // a silent connection would never finish a goodbye
      next.connection.stream.destroy();
      scheduleReconnect();
    };
    next.on('error', lost);
    next.on('end', () => {
      lost();
    });
    next.on('notification', (message) => {
      if (message.channel === channel && message.payload !== undefined) handlers.onMessage(message.payload);
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${postgresDriver().escapeIdentifier(channel)}`);
    } catch (error) {
      lost(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    if (closed) {
      await endWithin(next, options.connectTimeout);
      return;
    }
    client = next;
    retryDelay = firstRetryDelay;
    handlers.onConnected();
    checkEveryHeartbeat(next, lost);
  }

  void connect();
  return {
    isListening: () => client !== undefined,
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      clearTimeout(heartbeatTimer);
      if (client !== undefined) await endWithin(client, options.connectTimeout);
      client = undefined;
    },
  };
}

/** Says goodbye to the server, or hangs up if that has not finished in `timeout` ms (a silent connection). */
async function endWithin(client: pg.Client, timeout: number): Promise<void> {
  const timer = setTimeout(() => {
    client.connection.stream.destroy();
  }, timeout);
  try {
    await client.end();
  } catch {
    // ending is all that was asked
  } finally {
    clearTimeout(timer);
  }
}
