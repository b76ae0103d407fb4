import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { AuditTrail } from '../../audit/audit-trail.ts';
import { callerOf } from '../authenticate.ts';
import { conduitErrors } from './envelope.ts';
import { EventsQuery, EventsResponse } from './schemas.ts';

/** A person's own security history under /api, as the large providers show it. */
export function historyRoutes(audit: AuditTrail): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    app.get(
      '/user/events',
      {
        config: { caller: 'required' },
        schema: {
          summary: 'Your recent security events: sign-ins (with IP and agent), password and address changes',
          tags: ['sessions'],
          querystring: EventsQuery,
          response: { 200: EventsResponse, ...conduitErrors(401, 422, 503) },
        },
      },
      async (request) => {
        const caller = callerOf(request);
        const events = await audit.ownEvents(caller.user.id, Number(request.query.limit ?? '50'));
        return {
          events: events.map((event) => ({
            type: event.type,
            at: new Date(event.createdAt).toISOString(),
            ip: event.ip,
            userAgent: event.userAgent,
            current: event.sessionId === caller.session.id,
            detail: event.detail,
          })),
        };
      },
    );
    done();
  };
}
