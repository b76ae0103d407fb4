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
