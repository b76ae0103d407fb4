import pg from 'pg';

export interface ListenHandlers {
  onMessage(payload: string): void;
  /** listening (again) */
  onConnected(): void;
  /** the connection was lost and is back: whatever was sent meanwhile was missed */
  onGap(): void;
  onError(error: Error): void;
}

export interface Listener {
  close(): Promise<void>;
  /** Connected and listening right now; absent where nothing listens (SQLite). */
  readonly isListening?: () => boolean;
}

// A lost listener retries quickly at first, then every few seconds; the session cache TTL covers the gap.
const firstRetryDelay = 200;
const maxRetryDelay = 5_000;

/**
 * LISTEN on its own connection (a pooled one would be handed to queries), reconnecting for as long as
 * the process lives. Notifications are only delivered to a connection that is listening, so each reconnect
 * reports a gap.
 */
export function listenOn(
  url: string,
  channel: string,
  connectTimeout: number,
  handlers: ListenHandlers,
): Listener {
  let client: pg.Client | undefined;
  let closed = false;
  let retryDelay = firstRetryDelay;
  let retryTimer: NodeJS.Timeout | undefined;
  let connectedBefore = false;

  function scheduleReconnect(): void {
    if (closed || retryTimer !== undefined) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void connect();
    }, retryDelay);
    retryTimer.unref();
    retryDelay = Math.min(retryDelay * 2, maxRetryDelay);
  }

  async function connect(): Promise<void> {
    const next = new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: connectTimeout,
      keepAlive: true,
    });
    const lost = (error?: Error) => {
      if (error !== undefined) handlers.onError(error);
      if (client === next) client = undefined;
      void next.end().catch(() => undefined);
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
      await next.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (error) {
      lost(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    if (closed) {
      await next.end();
      return;
    }
    client = next;
    retryDelay = firstRetryDelay;
    handlers.onConnected();
    if (connectedBefore) handlers.onGap();
    connectedBefore = true;
  }

  void connect();
  return {
    isListening: () => client !== undefined,
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      await client?.end().catch(() => undefined);
    },
  };
}
