import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { AddressVerification } from '../../accounts/address-verification.ts';
import type { PasswordReset } from '../../accounts/password-reset.ts';
import { contextOf } from '../authenticate.ts';
import type { LoginNameReset } from '../../accounts/login-name-reset.ts';
import { drfErrors, renamedField } from './envelope.ts';
import {
  ActivationBody,
  EmailBody,
  loginNameConfirmBody,
  NoContent,
  ResetConfirmBody,
  type LoginField,
} from './schemas.ts';

export interface MailServices {
  verification: AddressVerification;
  passwordReset: PasswordReset;
  loginNameReset: LoginNameReset;
  loginField: LoginField;
}

/**
 * djoser's mail endpoints: activation (Gatehouse accounts are active from the start, so activating
 * verifies the address) and password reset. Asking for a mail is answered 204 for any address.
 */
export function mailRoutes({
  verification,
  passwordReset,
  loginNameReset,
  loginField,
}: MailServices): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    app.post(
      '/users/activation/',
      {
        schema: {
          summary: 'Verify your address with the uid and token from the activation mail (djoser)',
          tags: ['djoser'],
          body: ActivationBody,
          response: { 204: NoContent, ...drfErrors(400, 403, 413, 415, 503) },
        },
      },
      async (request, reply) => {
        await verification.activate(request.body.uid, request.body.token, contextOf(request));
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/users/resend_activation/',
      {
        schema: {
          summary: 'Mail a new activation link; the same answer for any address (djoser)',
          tags: ['djoser'],
          body: EmailBody,
          response: { 204: NoContent, ...drfErrors(400, 413, 415, 503) },
        },
      },
      async (request, reply) => {
        await verification.resend(request.body.email);
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/users/reset_password/',
      {
        schema: {
          summary: 'Mail a password-reset link; the same answer for any address (djoser)',
          tags: ['djoser'],
          body: EmailBody,
          response: { 204: NoContent, ...drfErrors(400, 413, 415, 503) },
        },
      },
      async (request, reply) => {
        await passwordReset.request(request.body.email);
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/users/reset_password_confirm/',
      {
        schema: {
          summary: 'Set a new password with the uid and token from the reset mail (djoser)',
          tags: ['djoser'],
          body: ResetConfirmBody,
          response: { 204: NoContent, ...drfErrors(400, 413, 415, 503) },
        },
      },
      async (request, reply) => {
        const { uid, token, new_password: newPassword } = request.body;
        await passwordReset.confirm({ uid, token, newPassword }, contextOf(request));
        return reply.code(204).send(null);
      },
    );

    // djoser names these after the login field, as set_<field>/
    app.post(
      `/users/reset_${loginField}/`,
      {
        schema: {
          summary: `Mail a link to choose a new ${loginField}; the same answer for any address (djoser)`,
          tags: ['djoser'],
          body: EmailBody,
          response: { 204: NoContent, ...drfErrors(400, 413, 415, 503) },
        },
      },
      async (request, reply) => {
        await loginNameReset.request(request.body.email);
        return reply.code(204).send(null);
      },
    );

    app.post(
      `/users/reset_${loginField}_confirm/`,
      {
        schema: {
          summary: `Set a new ${loginField} with the uid and token from that mail (djoser)`,
          tags: ['djoser'],
          body: loginNameConfirmBody(loginField),
          response: { 204: NoContent, ...drfErrors(400, 413, 415, 503) },
        },
      },
      async (request, reply) => {
        const body = request.body as Record<string, string>;
        const confirmation = { uid: body.uid ?? '', token: body.token ?? '', field: loginField };
        try {
          await loginNameReset.confirm(
            { ...confirmation, value: body[`new_${loginField}`] ?? '' },
            contextOf(request),
          );
        } catch (error) {
          // the domain names the account's field; djoser's serializer names it new_<field>
          throw renamedField(error, loginField, `new_${loginField}`);
        }
        return reply.code(204).send(null);
      },
    );
    done();
  };
}
