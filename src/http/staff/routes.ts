import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AccountActions } from '../../staff/account-actions.ts';
import type { ConsoleSessions } from '../../staff/console-sessions.ts';
import type { UserDirectory } from '../../staff/user-directory.ts';
import { refuseForgedWrites, sessionRoutes } from './session-routes.ts';
import { userActionRoutes } from './user-action-routes.ts';
import { usersRoutes } from './users-routes.ts';

export interface StaffServices {
  staff: {
    directory: UserDirectory;
    actions: AccountActions;
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
  };
}
