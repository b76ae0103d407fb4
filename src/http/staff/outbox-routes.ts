import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { OutboxAdmin } from '../../staff/outbox-admin.ts';
import { callerContextOf } from '../authenticate.ts';
import { staffErrors } from './envelope.ts';
import { MailParams, MailResponse, OutboxQuery, OutboxResponse, toMail } from './record-schemas.ts';

/** The mail outbox under /api/admin: what waits, went or failed, and a retry for what failed. */
export function outboxRoutes(outbox: OutboxAdmin): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    app.get(
      '/outbox',
      {
        config: { caller: 'staff' },
        schema: {
          summary: 'Mails in the outbox, newest first, by state, with their attempts and last error',
          tags: ['staff'],
          querystring: OutboxQuery,
          response: { 200: OutboxResponse, ...staffErrors(401, 403, 422, 503) },
        },
      },
      async (request) => {
        const { state, limit, cursor } = request.query;
        const page = await outbox.page(state, {
          limit: limit === undefined ? undefined : Number(limit),
          cursor,
        });
        return { mails: page.mails.map(toMail), nextCursor: page.nextCursor };
      },
    );

    app.post(
      '/outbox/:id/retry',
      {
        config: { caller: 'staff', unknownParam: 'mail_not_found' },
        schema: {
          summary: 'Queue a failed mail again, its attempts counted afresh (audited)',
          tags: ['staff'],
          params: MailParams,
          response: { 200: MailResponse, ...staffErrors(401, 403, 404, 409, 503) },
        },
      },
      async (request) => ({ mail: toMail(await outbox.retry(callerContextOf(request), request.params.id)) }),
    );
    done();
  };
}
