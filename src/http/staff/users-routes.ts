import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { UserDirectory } from '../../staff/user-directory.ts';
import { userCursorMaxLength } from '../../staff/user-cursor.ts';
import { userPageSize } from '../../staff/user-directory.ts';
import { staffErrors } from './envelope.ts';
import {
  Lock,
  StaffAuditEvent,
  StaffSession,
  StaffUser,
  toLock,
  toStaffAuditEvent,
  toStaffSession,
  toStaffUser,
  UserParams,
} from './schemas.ts';

export interface UserDirectoryServices {
  staff: { directory: UserDirectory };
}

const YesNo = (description: string) =>
  Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')], { description }));

const UserListQuery = Type.Object({
  q: Type.Optional(
    Type.String({ maxLength: 254, description: 'a prefix of the email or the username, in any casing' }),
  ),
  active: YesNo('only active (`true`) or deactivated (`false`) accounts'),
  staff: YesNo('only staff (`true`) or everyone else (`false`)'),
  verified: YesNo('only verified (`true`) or unverified (`false`) addresses'),
  role: Type.Optional(Type.String({ maxLength: 64, description: 'only accounts holding this role' })),
  sort: Type.Optional(
    Type.Union(
      [
        Type.Literal('match'),
        Type.Literal('joined'),
        Type.Literal('-joined'),
        Type.Literal('lastLogin'),
        Type.Literal('-lastLogin'),
      ],
      {
        description:
          '`match`: the email or username that starts with `q`, A to Z (a search only); else sign-up or last ' +
          'sign-in (never: oldest), `-` for newest first. Default: `match` with `q`, `-joined` without',
      },
    ),
  ),
  limit: Type.Optional(
    Type.String({
      pattern: '^[0-9]{1,9}$',
      description: `accounts per page, a whole number from 1 (default ${String(userPageSize.default)}; more than ${String(userPageSize.max)} gives ${String(userPageSize.max)})`,
    }),
  ),
  cursor: Type.Optional(
    Type.String({
      maxLength: userCursorMaxLength,
      description: "the previous page's `nextCursor`, as it came",
    }),
  ),
});

const UserListResponse = Type.Object({
  users: Type.Array(StaffUser),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'null on the last page' }),
});

const UserDetailsResponse = Type.Object({
  user: Type.Object({
    ...StaffUser.properties,
    sessions: Type.Array(StaffSession, { description: 'live sessions, newest first' }),
    events: Type.Array(StaffAuditEvent, { description: 'the latest 20 security events, newest first' }),
    lock: Lock,
  }),
});

const LockResponse = Type.Object({ lock: Lock });

const flag = (value: 'true' | 'false' | undefined) => (value === undefined ? undefined : value === 'true');

/** Reading the accounts: the list (search, filters, sort, pages), one account in full, its lock. */
export function usersRoutes({ staff }: UserDirectoryServices): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    app.get(
      '/users',
      {
        config: { caller: 'staff' },
        schema: {
          summary: 'Accounts: search by email or username prefix, filter, sort, a page at a time',
          tags: ['staff'],
          querystring: UserListQuery,
          response: { 200: UserListResponse, ...staffErrors(401, 403, 422, 503) },
        },
      },
      async (request) => {
        const { q, active, staff: isStaff, verified, role, sort, limit, cursor } = request.query;
        const page = await staff.directory.search({
          q,
          active: flag(active),
          staff: flag(isStaff),
          verified: flag(verified),
          role,
          sort,
          limit: limit === undefined ? undefined : Number(limit),
          cursor,
        });
        return { users: page.users.map(toStaffUser), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/users/:id',
      {
        config: { caller: 'staff' },
        schema: {
          summary: 'One account as staff see it, with its live sessions, latest events and login lock',
          tags: ['staff'],
          params: UserParams,
          response: { 200: UserDetailsResponse, ...staffErrors(401, 403, 404, 503) },
        },
      },
      async (request) => {
        const { user, sessions, events, lock } = await staff.directory.details(request.params.id);
        return {
          user: {
            ...toStaffUser(user),
            sessions: sessions.map(toStaffSession),
            events: events.map(toStaffAuditEvent),
            lock: toLock(lock),
          },
        };
      },
    );

    app.get(
      '/users/:id/lock',
      {
        config: { caller: 'staff' },
        schema: {
          summary: "The login lock on an account's email: failed sign-ins counted, and until when it holds",
          tags: ['staff'],
          params: UserParams,
          response: { 200: LockResponse, ...staffErrors(401, 403, 404, 503) },
        },
      },
      async (request) => ({ lock: toLock(await staff.directory.lock(request.params.id)) }),
    );
    done();
  };
}
