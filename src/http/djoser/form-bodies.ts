import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatehouseError, type FieldProblems } from '../../errors.ts';
import { refuseUnsafeText } from '../unsafe-text.ts';
import { djoserDialect } from './envelope.ts';

// Bounds on a multipart form, beyond BODY_LIMIT on its bytes: no djoser body has more than a handful of
// fields, and each part's headers are a line or two.
const maxParts = 32;
const maxFieldNameBytes = 256;
const maxPartHeaders = 16;

const tooLarge = () => new GatehouseError('payload_too_large', 'form body too large');

/**
 * The bodies DRF's default parsers take, besides JSON: `application/x-www-form-urlencoded` and
 * `multipart/form-data` fields, each read as a flat object of strings. A key sent more than once keeps its
 * last value, as a DRF serializer reads a QueryDict. Both count against BODY_LIMIT (413) as JSON does. A
 * file part is refused as DRF's CharField refuses an uploaded file: "Not a valid string.", under its name.
 * Registered on the djoser scope only, so /api stays JSON-only.
 */
export function acceptFormBodies(app: FastifyInstance): void {
  const bodyLimit = app.initialConfig.bodyLimit ?? 1024 * 1024;

  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      // Object.fromEntries keeps the last value of a repeated key and defines `__proto__` as a plain key
      done(null, Object.fromEntries(new URLSearchParams(text)));
    },
  );

  // fastify-plugin'd: its parser and request decorators land in this scope, not a child of it
  void app.register(multipart, {
    // as Django reads a part: a file when it names a filename, whatever its content type
    isPartAFile: (_name, _type, filename) => filename !== undefined,
    limits: {
      parts: maxParts,
      fields: maxParts,
      fieldNameSize: maxFieldNameBytes,
      fieldSize: bodyLimit,
      fileSize: bodyLimit,
      headerPairs: maxPartHeaders,
    },
  });
  const refuseUnsafe = refuseUnsafeText(() => djoserDialect);
  app.addHook('preValidation', async (request, reply) => {
    if (!request.isMultipart()) return;
    request.body = await readMultipartFields(request, bodyLimit);
    // the server's own check ran before this body existed: it runs again on what was read
    await new Promise<void>((resolve, reject) => {
      refuseUnsafe(request, reply, (error) => {
        if (error === undefined) resolve();
        else reject(error);
      });
    });
  });
}

/** A multipart body's fields (the last value of each name); refused whole if it carries a file. */
async function readMultipartFields(
  request: FastifyRequest,
  bodyLimit: number,
): Promise<Record<string, string>> {
  if (Number(request.headers['content-length'] ?? 0) > bodyLimit) throw tooLarge();
  // busboy bounds each part; the body as a whole is counted here, chunked or not
  let received = 0;
  const count = (chunk: Buffer) => {
    received += chunk.length;
  };
  request.raw.on('data', count);
  const fields = new Map<string, string>();
  const files: FieldProblems = {};
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        files[part.fieldname] = { code: 'not_a_string' };
        // read to its end (within the limits) so that the parts after it can be read
        part.file.resume();
        continue;
      }
      if (part.valueTruncated || part.fieldnameTruncated) throw tooLarge();
      fields.set(part.fieldname, typeof part.value === 'string' ? part.value : JSON.stringify(part.value));
      if (received > bodyLimit) throw tooLarge();
    }
  } catch (error) {
    throw error instanceof GatehouseError ? error : multipartFailure(error);
  } finally {
    request.raw.off('data', count);
  }
  if (received > bodyLimit) throw tooLarge();
  if (Object.keys(files).length > 0) {
    throw new GatehouseError('validation_failed', 'a file in a form body', { fields: files });
  }
  return Object.fromEntries(fields);
}

/** @fastify/multipart's and busboy's complaints: a limit passed (413), or a body that is no valid form (400). */
function multipartFailure(error: unknown): GatehouseError {
  const status = (error as { statusCode?: unknown }).statusCode;
  if (status === 413) return tooLarge();
  return new GatehouseError('malformed_body', 'malformed multipart body', { cause: error });
}
