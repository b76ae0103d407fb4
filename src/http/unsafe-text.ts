import type { FastifyRequest, RouteOptions } from 'fastify';
import { GatehouseError, type ErrorCode } from '../errors.ts';
import type { Dialect } from './dialect.ts';

// A UTF-16 surrogate without its other half.
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Whether a string holds what no field means to hold and no database keeps as it came: NUL, which
 * PostgreSQL refuses in text and SQLite keeps, or a lone surrogate, which each changes its own way.
 */
function isUnsafeText(text: string): boolean {
  return text.includes('\u0000') || loneSurrogate.test(text);
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** what this route answers for a path parameter no stored row can hold: its "no such …" */
    unknownParam?: ErrorCode;
  }
}

/**
 * The `onRoute` hook that answers a path parameter holding unsafe text as its route answers an unknown id
 * (404), before the handler could take it to a database, and after the caller has been authenticated, as
 * for any unknown id.
 */
export function refuseUnsafeParams(route: RouteOptions): void {
  const handler = route.handler;
  const unknown = route.config?.unknownParam ?? 'route_not_found';
  route.handler = function (this: ThisParameterType<typeof handler>, request, reply) {
    const params = Object.values(request.params ?? {});
    if (params.some((value) => typeof value === 'string' && isUnsafeText(value))) {
      throw new GatehouseError(unknown, 'unsafe text in the path');
    }
    return handler.call(this, request, reply);
  };
}

/**
 * The `preValidation` hook that keeps such text in the query or the body from every route, before any
 * reaches a database, the same on both: the field is invalid (the dialect's validation failure), and in a
 * key the body is malformed.
 */
export function refuseUnsafeText(dialectOf: (url: string) => Dialect) {
  return (request: FastifyRequest, _reply: unknown, done: (error?: Error) => void): void => {
    for (const [where, value] of [
      ['query', request.query],
      ['body', request.body],
    ] as const) {
      const path = unsafePath(value);
      if (path === undefined) continue;
      if (path === 'key') {
        done(new GatehouseError('malformed_body', `unsafe text in a key of the ${where}`));
        return;
      }
      const fields = dialectOf(request.url).describeSchemaProblems(
        [{ instancePath: `/${path.join('/')}`, keyword: 'format', params: {} }],
        value,
      );
      done(new GatehouseError('validation_failed', `unsafe text in the ${where}`, { fields }));
      return;
    }
    done();
  };
}

interface Visit {
  value: unknown;
  key: string;
  parent: Visit | undefined;
}

/**
 * Where the first unsafe string in a parsed JSON value is: its path of keys and indexes, or `key` when a
 * key itself is unsafe. Walked without recursion: a body within BODY_LIMIT can nest deeper than the stack.
 */
function unsafePath(value: unknown): string[] | 'key' | undefined {
  const stack: Visit[] = [{ value, key: '', parent: undefined }];
  for (let visit = stack.pop(); visit !== undefined; visit = stack.pop()) {
    if (typeof visit.value === 'string') {
      if (isUnsafeText(visit.value)) return pathOf(visit);
    } else if (typeof visit.value === 'object' && visit.value !== null) {
      for (const [key, item] of Object.entries(visit.value)) {
        if (isUnsafeText(key)) return 'key';
        stack.push({ value: item, key, parent: visit });
      }
    }
  }
  return undefined;
}

function pathOf(visit: Visit): string[] {
  const path: string[] = [];
  for (let at = visit; at.parent !== undefined; at = at.parent) path.unshift(at.key);
  return path;
}
