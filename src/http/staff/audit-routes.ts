import { Readable } from 'node:stream';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AuditFilter, AuditRecord, AuditSearch } from '../../staff/audit-search.ts';
import { csvLine } from './csv.ts';
import { staffErrors } from './envelope.ts';
import { AuditExportQuery, AuditQuery, AuditResponse } from './record-schemas.ts';
import { toStaffAuditEvent } from './schemas.ts';

interface FilterQuery {
  user?: string | undefined;
  type?: string | undefined;
  actor?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
}

/** The query's filters as the search takes them; the schema has checked the times are ISO 8601. */
function filterOf(query: FilterQuery): AuditFilter {
  return {
    userId: query.user,
    type: query.type,
    actorId: query.actor,
    since: query.since === undefined ? undefined : Date.parse(query.since),
    until: query.until === undefined ? undefined : Date.parse(query.until),
  };
}

const csvColumns = [
  'id',
  'at',
  'type',
  'userId',
  'actor',
  'actorId',
  'sessionId',
  'ip',
  'userAgent',
  'requestId',
  'detail',
] as const;

function csvRecord(record: AuditRecord): string {
  const event = toStaffAuditEvent(record);
  return csvLine(
    csvColumns.map((column) => (column === 'detail' ? JSON.stringify(event.detail) : event[column])),
  );
}

/** The audit log under /api/admin: filtered pages for the console, all of it as CSV for a spreadsheet. */
export function auditRoutes(auditLog: AuditSearch): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    app.get(
      '/audit',
      {
        config: { caller: 'staff' },
        schema: {
          summary: 'The audit log, newest first: filtered by account, type, actor and time, a page at a time',
          tags: ['staff'],
          querystring: AuditQuery,
          response: { 200: AuditResponse, ...staffErrors(401, 403, 422, 503) },
        },
      },
      async (request) => {
        const { limit, cursor } = request.query;
        const page = await auditLog.page(filterOf(request.query), {
          limit: limit === undefined ? undefined : Number(limit),
          cursor,
        });
        return { events: page.events.map(toStaffAuditEvent), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/audit.csv',
      {
        config: { caller: 'staff' },
        schema: {
          summary: 'Every audit event the filters match, newest first, as a CSV attachment',
          tags: ['staff'],
          querystring: AuditExportQuery,
          response: {
            200: {
              description:
                "RFC 4180 CSV with a header line; a cell that a spreadsheet would run starts with `'`",
              // streamed: the handler sends the text as it reads the log
              content: { 'text/csv': { schema: Type.Unsafe<Readable>(Type.String()) } },
            },
            ...staffErrors(401, 403, 422, 503),
          },
        },
      },
      async (request, reply) => {
        const batches = auditLog.all(filterOf(request.query));
        // the first batch before the headers: a database that does not answer is still a 503, not a cut
        const first = await batches.next();
        async function* lines() {
          yield csvLine(csvColumns);
          if (first.done === true) return;
          yield first.value.map(csvRecord).join('');
          for await (const batch of batches) yield batch.map(csvRecord).join('');
        }
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', 'attachment; filename="gatehouse-audit.csv"')
          .header('cache-control', 'no-store')
          .send(Readable.from(lines()));
      },
    );
    done();
  };
}
