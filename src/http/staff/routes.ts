import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AccountActions } from '../../staff/account-actions.ts';
import type { Activity } from '../../staff/activity.ts';
import type { AuditSearch } from '../../staff/audit-search.ts';
import type { ConsoleSessions } from '../../staff/console-sessions.ts';
import type { OutboxAdmin } from '../../staff/outbox-admin.ts';
import type { UserDirectory } from '../../staff/user-directory.ts';
import { activityRoutes } from './activity-routes.ts';
import { auditRoutes } from './audit-routes.ts';
import { outboxRoutes } from './outbox-routes.ts';
import { refuseForgedWrites, sessionRoutes } from './session-routes.ts';
import { userActionRoutes } from './user-action-routes.ts';
import { usersRoutes } from './users-routes.ts';

export interface StaffServices {
  staff: {
    directory: UserDirectory;
    actions: AccountActions;
    auditLog: AuditSearch;
    activity: Activity;
    outbox: OutboxAdmin;
    console: ConsoleSessions;
    /** the console's cookie is Secure (PUBLIC_URL is https) */
    secureCookies: boolean;
  };
}

/**
 * The staff API under /api/admin: one entry per file of routes, each for one concern. Every route but the
 * console's sign-in serves signed-in staff only (`caller: 'staff'`); every write that comes with the
 * console's cookie must carry its CSRF token.
 */
export function staffRoutes(services: StaffServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('preValidation', refuseForgedWrites(services.staff.console));
    await app.register(sessionRoutes(services));
    await app.register(usersRoutes(services));
    await app.register(userActionRoutes(services));
    await app.register(auditRoutes(services.staff.auditLog));
    await app.register(outboxRoutes(services.staff.outbox));
    await app.register(activityRoutes(services.staff.activity));
  };
}
