import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { AccountService } from '../../accounts/account-service.ts';
import type { AddressVerification } from '../../accounts/address-verification.ts';
import type { PasswordReset } from '../../accounts/password-reset.ts';
import { absentBodyIsEmpty, bodyOptional } from '../absent-body.ts';
import { callerContextOf, contextOf } from '../authenticate.ts';
import { conduitErrors } from './envelope.ts';
import {
  Accepted,
  EmailBody,
  EmailChangeBody,
  NoContent,
  PasswordResetBody,
  TokenBody,
  VerificationRequestBody,
  VerifiedResponse,
} from './schemas.ts';

export interface MailServices {
  accounts: AccountService;
  verification: AddressVerification;
  passwordReset: PasswordReset;
}

/**
 * Gatehouse's mail flows under /api: verify an address, move to a new one, reset a forgotten password.
 * Asking for a mail is answered 202 whether or not the address has an account.
 */
export function mailRoutes({
  accounts,
  verification,
  passwordReset,
}: MailServices): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    app.post(
      '/users/verification',
      {
        config: { caller: 'optional' },
        preValidation: absentBodyIsEmpty,
        schema: {
          [bodyOptional]: true,
          summary: 'Mail a new verification link (to your own address when signed in and none is given)',
          tags: ['mail'],
          body: VerificationRequestBody,
          response: { 202: Accepted, ...conduitErrors(400, 401, 413, 415, 422, 503) },
        },
      },
      async (request, reply) => {
        await verification.resend(request.body.email ?? request.caller?.user.email ?? '');
        return reply.code(202).send({});
      },
    );

    app.post(
      '/users/verification/confirm',
      {
        schema: {
          summary: "Confirm an address with the token from its mail (a new account's, or a changed one)",
          tags: ['mail'],
          body: TokenBody,
          response: { 200: VerifiedResponse, ...conduitErrors(400, 413, 415, 422, 503) },
        },
      },
      async (request) => {
        const user = await verification.confirm(request.body.token ?? '', contextOf(request));
        return { email: user.email ?? '', email_verified: true as const };
      },
    );

    app.post(
      '/user/email',
      {
        config: { caller: 'required' },
        schema: {
          summary: 'Move your account to a new address, once the link mailed there is confirmed',
          tags: ['mail'],
          body: EmailChangeBody,
          response: { 202: Accepted, ...conduitErrors(400, 401, 413, 415, 422, 429, 503) },
        },
      },
      async (request, reply) => {
        await accounts.requestEmailChange(callerContextOf(request), {
          currentPassword: request.body.current_password,
          newEmail: request.body.new_email,
        });
        return reply.code(202).send({});
      },
    );

    app.post(
      '/users/password-reset',
      {
        schema: {
          summary: 'Mail a password-reset link; the same answer for any address',
          tags: ['mail'],
          body: EmailBody,
          response: { 202: Accepted, ...conduitErrors(400, 413, 415, 422, 503) },
        },
      },
      async (request, reply) => {
        await passwordReset.request(request.body.email ?? '');
        return reply.code(202).send({});
      },
    );

    app.post(
      '/users/password-reset/confirm',
      {
        schema: {
          summary: 'Set a new password with the token from the reset mail; every session ends',
          tags: ['mail'],
          body: PasswordResetBody,
          response: { 204: NoContent, ...conduitErrors(400, 413, 415, 422, 503) },
        },
      },
      async (request, reply) => {
        await passwordReset.confirm(
          { token: request.body.token ?? '', newPassword: request.body.new_password ?? '' },
          contextOf(request),
        );
        return reply.code(204).send(null);
      },
    );
    done();
  };
}
