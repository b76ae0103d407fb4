import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { Activity } from '../../staff/activity.ts';
import type { AuditSearch } from '../../staff/audit-search.ts';
import type { OutboxAdmin } from '../../staff/outbox-admin.ts';
import type { UserDirectory } from '../../staff/user-directory.ts';
import { activityRoutes } from './activity-routes.ts';
import { auditRoutes } from './audit-routes.ts';
import { staffErrors } from './envelope.ts';
import { outboxRoutes } from './outbox-routes.ts';
import { toStaffUser, UserParams, UserResponse } from './schemas.ts';

export interface StaffServices {
  staff: {
    directory: UserDirectory;
    auditLog: AuditSearch;
    activity: Activity;
    outbox: OutboxAdmin;
  };
}

/** The staff API under /api/admin: every route serves signed-in staff only (`caller: 'staff'`). */
export function staffRoutes({ staff }: StaffServices): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    app.get(
      '/users/:id',
      {
        config: { caller: 'staff' },
        schema: {
          summary: 'One account as staff see it',
          tags: ['staff'],
          params: UserParams,
          response: { 200: UserResponse, ...staffErrors(401, 403, 404, 503) },
        },
      },
      async (request) => ({ user: toStaffUser(await staff.directory.user(request.params.id)) }),
    );
    void app.register(auditRoutes(staff.auditLog));
    void app.register(outboxRoutes(staff.outbox));
    void app.register(activityRoutes(staff.activity));
    done();
  };
}
