import pino, { type Logger } from 'pino';

/** JSON lines; credentials redacted, and errors logged without their stack (nor what a driver put there). */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
        censor: '[redacted]',
      },
      serializers: {
        // a token a client put in the query string (never accepted, but sent anyway) must not reach the log
        req: (request: { method: string; url: string; host?: string; ip?: string }) => ({
          method: request.method,
          url: request.url.replace(/([?&][^=&#]*=)[^&#]*/g, '$1[redacted]'),
          host: request.host,
          remoteAddress: request.ip,
        }),
        err: (error: Error & { code?: unknown }) => ({
          type: error.name,
          code: error.code,
          message: error.message,
        }),
      },
    },
    destination,
  );
}
