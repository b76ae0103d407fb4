import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { AddressVerification } from '../../accounts/address-verification.ts';
import { absentBodyIsEmpty, bodyOptional } from '../absent-body.ts';
import { conduitErrors } from './envelope.ts';
import { Accepted, TokenBody, VerificationRequestBody, VerifiedResponse } from './schemas.ts';

/** Gatehouse's address verification under /api: ask for a mail, confirm the token it carries. */
export function verificationRoutes(verification: AddressVerification): FastifyPluginCallbackTypebox {
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
        return reply.code(202).send(null);
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
        const user = await verification.confirm(request.body.token ?? '');
        return { email: user.email, email_verified: true as const };
      },
    );
    done();
  };
}
