import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { AddressVerification } from '../../accounts/address-verification.ts';
import { drfErrors } from './envelope.ts';
import { ActivationBody, EmailBody, NoContent } from './schemas.ts';

/** djoser's mail endpoints: activation (Gatehouse accounts are active at once; activation verifies). */
export function mailRoutes(verification: AddressVerification): FastifyPluginCallbackTypebox {
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
        await verification.activate(request.body.uid, request.body.token);
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
    done();
  };
}
