import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { Activity } from '../../staff/activity.ts';
import { staffErrors } from './envelope.ts';
import { ActivityQuery, ActivityResponse } from './record-schemas.ts';

/** Sign-ups, sign-ins and lockouts per day under /api/admin, for the console's overview. */
export function activityRoutes(activity: Activity): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    app.get(
      '/activity',
      {
        config: { caller: 'staff' },
        schema: {
          summary: 'Sign-ups, sign-ins, failed sign-ins and lockouts per UTC day, every day of the range',
          tags: ['staff'],
          querystring: ActivityQuery,
          response: { 200: ActivityResponse, ...staffErrors(401, 403, 422, 503) },
        },
      },
      async (request) => ({ days: await activity.perDay(request.query) }),
    );
    done();
  };
}
