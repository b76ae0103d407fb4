import { SMTPServer } from 'smtp-server';

/** One mail as the SMTP server received it, read back into its parts. */
export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  /** the message as it came over the wire */
  raw: string;
}

/** A real SMTP server on 127.0.0.1 that keeps what it receives, and can refuse or go away on demand. */
export interface SmtpSink {
  readonly port: number;
  /** `smtp://127.0.0.1:<port>` */
  readonly url: string;
  readonly received: ReceivedMail[];
  /** RCPT commands answered with a refusal so far */
  readonly refusals: number;
  /** for each mail received, whether its connection was encrypted */
  readonly secured: readonly boolean[];
  /** the user names that logged in */
  readonly logins: readonly string[];
  /** Takes `ms` over each mail from now on, as a busy server would. */
  slowDown(ms: number): void;
  /** Answers every recipient with `code message` (a 4xx or 5xx) until `accept`. */
  refuse(code: number, message: string): void;
  accept(): void;
  /** Resolves once `count` mails have arrived; rejects after `timeout` ms. */
  waitFor(count: number, timeout?: number): Promise<ReceivedMail[]>;
  /** Stops listening and drops every connection, as a server that went down. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

/**
 * `startTls`: offer STARTTLS with smtp-server's own self-signed certificate (a client must be told to
 * accept it); otherwise plain text only, which nodemailer then keeps to.
 */
export async function startSmtpSink(options: { startTls?: boolean } = {}): Promise<SmtpSink> {
  const received: ReceivedMail[] = [];
  let refusal: { code: number; message: string } | undefined;
  let refusals = 0;
  const logins: string[] = [];
  const secured: boolean[] = [];
  let dataDelay = 0;
  const watchers = new Set<() => void>();

  const newServer = () => {
    const server = new SMTPServer({
      authOptional: true,
      // nodemailer would upgrade to TLS and refuse the sink's self-signed certificate unless told
      disabledCommands: options.startTls === true ? [] : ['STARTTLS'],
      logger: false,
      closeTimeout: 50,
      // any login is taken, so that SMTP_URL may carry one (and the tests can check it is never shown)
      onAuth(auth, _session, callback) {
        logins.push(auth.username ?? '');
        callback(null, { user: auth.username });
      },
      onRcptTo(_address, _session, callback) {
        if (refusal === undefined) {
          callback();
          return;
        }
        refusals += 1;
        callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
      },
      onData(stream, session, callback) {
        secured.push(session.secure);
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          received.push({
            ...parseMessage(raw),
            from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
            to: session.envelope.rcptTo.map((recipient) => recipient.address),
            raw,
          });
          for (const watcher of watchers) watcher();
          setTimeout(callback, dataDelay);
        });
      },
    });
    // a client's connection reset when the sink stops is the test's doing, not a failure
    server.on('error', () => undefined);
    return server;
  };

  let server = newServer();
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const address = server.server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  const port = await listen(0);

  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    received,
    get refusals() {
      return refusals;
    },
    logins,
    secured,
    slowDown(ms) {
      dataDelay = ms;
    },
    refuse(code, message) {
      refusal = { code, message };
    },
    accept() {
      refusal = undefined;
    },
    waitFor(count, timeout = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (received.length < count) return;
          finish();
          resolve(received);
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`${received.length} of ${count} mails arrived in ${timeout} ms`));
        }, timeout);
        const finish = () => {
          clearTimeout(timer);
          watchers.delete(check);
        };
        watchers.add(check);
        check();
      });
    },
    stop: () =>
      new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
    async start() {
      server = newServer();
      await listen(port);
    },
  };
}

/** Subject and the text and HTML parts of a message as nodemailer writes one (multipart/alternative). */
function parseMessage(raw: string): { subject: string; text: string; html: string } {
  const { headers, body } = splitEntity(raw);
  const boundary = /boundary="?([^";]+)"?/.exec(headers.get('content-type') ?? '')?.[1];
  const parts = boundary === undefined ? [raw] : body.split(`--${boundary}`).slice(1, -1);
  let text = '';
  let html = '';
  for (const part of parts) {
    const entity = splitEntity(part.replace(/^\r\n/, ''));
    const content = decode(entity.body, entity.headers.get('content-transfer-encoding') ?? '7bit');
    const type = entity.headers.get('content-type') ?? '';
    if (type.startsWith('text/plain')) text = content;
    if (type.startsWith('text/html')) html = content;
  }
  return { subject: headers.get('subject') ?? '', text, html };
}

function splitEntity(raw: string): { headers: Map<string, string>; body: string } {
  const end = raw.indexOf('\r\n\r\n');
  const head = end === -1 ? raw : raw.slice(0, end);
  const headers = new Map<string, string>();
  // folded header lines continue with whitespace
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body: end === -1 ? '' : raw.slice(end + 4) };
}

function decode(body: string, encoding: string): string {
  const trimmed = body.replace(/\r\n$/, '');
  if (encoding.toLowerCase() === 'base64') return Buffer.from(trimmed, 'base64').toString('utf8');
  if (encoding.toLowerCase() !== 'quoted-printable') return trimmed.replace(/\r\n/g, '\n');
  const bytes = trimmed
    .replace(/=\r\n/g, '')
    .replace(/\r\n/g, '\n')
    .replace(/=([0-9A-F]{2})/gi, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}
