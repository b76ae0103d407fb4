import type { FastifyError } from 'fastify';
import { GatehouseError, type FieldProblems } from '../errors.ts';

/** One complaint of the schema validator (ajv) about a request. */
export interface SchemaProblem {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
}

/** How a dialect reads what the schema refused, as field problems. */
export type DescribeSchemaProblems = (problems: readonly SchemaProblem[]) => FieldProblems;

/**
 * Any error a request can end in, as a GatehouseError: ours pass through, Fastify's request errors get
 * their code, a lost database becomes service_unavailable, and everything else a bare internal_error.
 */
export function toGatehouseError(
  error: unknown,
  isUnavailable: (error: unknown) => boolean,
  describe: DescribeSchemaProblems,
): GatehouseError {
  if (error instanceof GatehouseError) return error;
  if (isUnavailable(error))
    return new GatehouseError('service_unavailable', 'database unavailable', { cause: error });
  const fastifyError = error as Partial<FastifyError> & { validation?: SchemaProblem[] };
  if (Array.isArray(fastifyError.validation)) {
    return new GatehouseError('validation_failed', 'schema validation failed', {
      fields: describe(fastifyError.validation),
    });
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new GatehouseError('payload_too_large', 'body too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new GatehouseError('unsupported_media_type', 'unsupported content type');
    default:
      break;
  }
  // what remains with a 4xx status are the body parser's complaints: bad JSON, bad Content-Length
  if (
    typeof fastifyError.statusCode === 'number' &&
    fastifyError.statusCode >= 400 &&
    fastifyError.statusCode < 500
  ) {
    return new GatehouseError('malformed_body', 'malformed request body');
  }
  return new GatehouseError('internal_error', 'unexpected error', { cause: error });
}
