import { Type, type Static } from 'typebox';
import { activityDays } from '../../staff/activity.ts';
import { auditPageSize } from '../../staff/audit-search.ts';
import { outboxPageSize, type OutboxEntry } from '../../staff/outbox-admin.ts';
import { StaffAuditEvent } from './schemas.ts';

const Time = Type.String({ format: 'date-time' });
const NullableString = Type.Union([Type.String(), Type.Null()]);
const iso = (epochMs: number): string => new Date(epochMs).toISOString();

// a whole number from 1: more than a page holds is the domain's to cap, so the schema must let it through
const pageLimit = (size: { default: number; max: number }, what: string) =>
  Type.Optional(
    Type.String({
      pattern: '^[1-9][0-9]{0,8}$',
      description: `${what} per page, a whole number from 1 (default ${String(size.default)}; more than ${String(size.max)} gives ${String(size.max)})`,
    }),
  );

const Cursor = Type.Optional(
  Type.String({ minLength: 1, maxLength: 200, description: "the previous page's `nextCursor`, as it came" }),
);

const NextCursor = Type.Union([Type.String(), Type.Null()], {
  description: 'the `cursor` of the next page; null on the last page',
});

// The filters the audit log and its CSV export share.
const auditFilters = {
  user: Type.Optional(
    Type.String({ minLength: 1, maxLength: 64, description: 'the account it concerns (id)' }),
  ),
  type: Type.Optional(
    Type.String({ pattern: '^[a-z][a-z_]{0,63}$', description: 'the event type, e.g. `sign_in_failed`' }),
  ),
  actor: Type.Optional(
    Type.String({ minLength: 1, maxLength: 64, description: 'the staff member who acted (id)' }),
  ),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'events at or after this time' })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'events before this time' })),
};

export const AuditQuery = Type.Object({
  ...auditFilters,
  limit: pageLimit(auditPageSize, 'events'),
  cursor: Cursor,
});

export const AuditExportQuery = Type.Object(auditFilters);

export const AuditResponse = Type.Object({ events: Type.Array(StaffAuditEvent), nextCursor: NextCursor });

const MailState = Type.Union([Type.Literal('queued'), Type.Literal('sent'), Type.Literal('failed')]);

export const OutboxQuery = Type.Object({
  state: Type.Optional(MailState),
  limit: pageLimit(outboxPageSize, 'mails'),
  cursor: Cursor,
});

export const Mail = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  to: Type.String(),
  state: MailState,
  attempts: Type.Integer(),
  lastError: NullableString,
  createdAt: Time,
  sentAt: Type.Union([Time, Type.Null()]),
});

// any id is looked up: one that names no mail is a 404, whatever its length
export const MailParams = Type.Object({ id: Type.String({ minLength: 1 }) });

export const OutboxResponse = Type.Object({ mails: Type.Array(Mail), nextCursor: NextCursor });

export const MailResponse = Type.Object({ mail: Mail });

/** A mail as staff see it: to whom, how it went; never what it says. */
export function toMail(entry: OutboxEntry): Static<typeof Mail> {
  return {
    id: entry.id,
    kind: entry.kind,
    to: entry.recipient,
    state: entry.state,
    attempts: entry.attempts,
    lastError: entry.lastError,
    createdAt: iso(entry.createdAt),
    sentAt: entry.sentAt === null ? null : iso(entry.sentAt),
  };
}

const dayPattern = '^[0-9]{4}-[0-9]{2}-[0-9]{2}$';

export const ActivityQuery = Type.Object({
  from: Type.Optional(
    Type.String({
      pattern: dayPattern,
      description: `first UTC day, YYYY-MM-DD (${String(activityDays.default)} days before to)`,
    }),
  ),
  to: Type.Optional(Type.String({ pattern: dayPattern, description: 'last UTC day, YYYY-MM-DD (today)' })),
});

export const ActivityResponse = Type.Object({
  days: Type.Array(
    Type.Object({
      date: Type.String(),
      signUps: Type.Integer(),
      signIns: Type.Integer(),
      failedSignIns: Type.Integer(),
      lockouts: Type.Integer(),
    }),
  ),
});
