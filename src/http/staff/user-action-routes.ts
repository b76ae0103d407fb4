import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { maxReasonLength, type AccountActions } from '../../staff/account-actions.ts';
import { roleLimits } from '../../staff/roles.ts';
import { absentBodyIsEmpty, bodyOptional } from '../absent-body.ts';
import { callerContextOf } from '../authenticate.ts';
import { staffErrors } from './envelope.ts';
import { toStaffUser, UserParams, UserResponse } from './schemas.ts';

export interface AccountActionServices {
  staff: { actions: AccountActions };
}

const Reason = (description: string) => Type.String({ maxLength: maxReasonLength, description });

const DeactivateBody = Type.Object({
  reason: Type.String({
    minLength: 1,
    maxLength: maxReasonLength,
    description: 'why; kept with the account and in the audit log',
  }),
  until: Type.Optional(
    Type.String({
      format: 'date-time',
      description: 'a time in the future at which the account reactivates by itself',
    }),
  ),
});

const OptionalReasonBody = Type.Object({ reason: Type.Optional(Reason('why; kept in the audit log')) });

const RolesBody = Type.Object({
  roles: Type.Array(Type.String({ maxLength: roleLimits.nameLength }), {
    maxItems: roleLimits.perUser,
    description:
      'every role the account is to hold: 1 to 64 characters of letters, digits, `_ . : -`; lower-cased',
  }),
  reason: Type.Optional(Reason('why; kept in the audit log')),
});

const FlagsBody = Type.Object({
  isStaff: Type.Optional(Type.Boolean()),
  isSuperuser: Type.Optional(Type.Boolean()),
  reason: Type.Optional(Reason('why; kept in the audit log')),
});

const SessionParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64 }),
  sessionId: Type.String({ minLength: 1, maxLength: 64 }),
});

const NoContent = Type.Null({ description: 'no content' });
const Accepted = Type.Null({ description: 'accepted: the mail is queued' });

/** What staff do to an account; each action is audited with the staff member as its actor. */
export function userActionRoutes({ staff }: AccountActionServices): FastifyPluginCallbackTypebox {
  const { actions } = staff;
  return (app, _options, done) => {
    app.post(
      '/users/:id/deactivate',
      {
        config: { caller: 'staff' },
        schema: {
          summary: 'Deactivate an account, with a reason and optionally until a time; every session ends',
          tags: ['staff'],
          params: UserParams,
          body: DeactivateBody,
          response: { 200: UserResponse, ...staffErrors(400, 401, 403, 404, 409, 413, 415, 422, 503) },
        },
      },
      async (request) => {
        const { reason, until } = request.body;
        const user = await actions.deactivate(callerContextOf(request), request.params.id, {
          reason,
          until: until === undefined ? undefined : Date.parse(until),
        });
        return { user: toStaffUser(user) };
      },
    );

    app.post(
      '/users/:id/activate',
      {
        config: { caller: 'staff' },
        preValidation: absentBodyIsEmpty,
        schema: {
          [bodyOptional]: true,
          summary: 'Activate a deactivated account (its scheduled erasure is called off)',
          tags: ['staff'],
          params: UserParams,
          body: OptionalReasonBody,
          response: { 200: UserResponse, ...staffErrors(400, 401, 403, 404, 409, 413, 415, 422, 503) },
        },
      },
      async (request) => {
        const user = await actions.activate(callerContextOf(request), request.params.id, request.body.reason);
        return { user: toStaffUser(user) };
      },
    );

    app.delete(
      '/users/:id/sessions',
      {
        config: { caller: 'staff' },
        schema: {
          summary: 'End every live session of an account',
          tags: ['staff'],
          params: UserParams,
          response: { 204: NoContent, ...staffErrors(401, 403, 404, 503) },
        },
      },
      async (request, reply) => {
        await actions.revokeSessions(callerContextOf(request), request.params.id);
        return reply.code(204).send(null);
      },
    );

    app.delete(
      '/users/:id/sessions/:sessionId',
      {
        config: { caller: 'staff' },
        schema: {
          summary: 'End one live session of an account',
          tags: ['staff'],
          params: SessionParams,
          response: { 204: NoContent, ...staffErrors(401, 403, 404, 503) },
        },
      },
      async (request, reply) => {
        const { id, sessionId } = request.params;
        await actions.revokeSession(callerContextOf(request), id, sessionId);
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/users/:id/password-reset',
      {
        config: { caller: 'staff' },
        schema: {
          summary: 'Mail the account a password-reset link',
          tags: ['staff'],
          params: UserParams,
          response: { 202: Accepted, ...staffErrors(401, 403, 404, 409, 503) },
        },
      },
      async (request, reply) => {
        await actions.mailPasswordReset(callerContextOf(request), request.params.id);
        return reply.code(202).send(null);
      },
    );

    app.post(
      '/users/:id/verification',
      {
        config: { caller: 'staff' },
        schema: {
          summary: 'Mail the account a new verification link',
          tags: ['staff'],
          params: UserParams,
          response: { 202: Accepted, ...staffErrors(401, 403, 404, 409, 503) },
        },
      },
      async (request, reply) => {
        await actions.mailVerification(callerContextOf(request), request.params.id);
        return reply.code(202).send(null);
      },
    );

    app.put(
      '/users/:id/roles',
      {
        config: { caller: 'staff' },
        schema: {
          summary: "Set an account's roles (the `roles` claim of the tokens it is issued from now on)",
          tags: ['staff'],
          params: UserParams,
          body: RolesBody,
          response: { 200: UserResponse, ...staffErrors(400, 401, 403, 404, 413, 415, 422, 503) },
        },
      },
      async (request) => {
        const { roles, reason } = request.body;
        const user = await actions.setRoles(callerContextOf(request), request.params.id, roles, reason);
        return { user: toStaffUser(user) };
      },
    );

    app.put(
      '/users/:id/flags',
      {
        config: { caller: 'staff' },
        schema: {
          summary: 'Grant or remove staff and superuser (superusers only; never on oneself)',
          tags: ['staff'],
          params: UserParams,
          body: FlagsBody,
          response: { 200: UserResponse, ...staffErrors(400, 401, 403, 404, 409, 413, 415, 422, 503) },
        },
      },
      async (request) => {
        const user = await actions.setFlags(callerContextOf(request), request.params.id, request.body);
        return { user: toStaffUser(user) };
      },
    );

    app.delete(
      '/users/:id/lock',
      {
        config: { caller: 'staff' },
        schema: {
          summary: "Lift the login lock on an account's email",
          tags: ['staff'],
          params: UserParams,
          response: { 204: NoContent, ...staffErrors(401, 403, 404, 503) },
        },
      },
      async (request, reply) => {
        await actions.clearLock(callerContextOf(request), request.params.id);
        return reply.code(204).send(null);
      },
    );
    done();
  };
}
