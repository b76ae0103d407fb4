import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { RequestContext } from '../context.ts';
import type { AuditActor, AuditRecord, AuditRepository } from '../store/audit-repository.ts';
import type { Repositories, UnitOfWork } from '../store/store.ts';

/** Everything the security history records. */
export type AuditEventType =
  | 'registered'
  | 'sign_in_succeeded'
  | 'sign_in_failed'
  | 'locked_out'
  | 'signed_out'
  | 'session_revoked'
  | 'refresh_reuse_detected'
  | 'password_changed'
  | 'password_reset'
  | 'email_change_requested'
  | 'email_change_confirmed'
  | 'email_verified'
  | 'deactivated'
  | 'erased'
  | 'mail_sent'
  | 'mail_failed'
  | 'mail_retried'
  | 'key_rotated'
  | 'superuser_created'
  // what staff do to an account (actor `staff`, the reason in `detail.reason`), and what follows by itself
  | 'activated'
  | 'reactivated'
  | 'sessions_revoked'
  | 'password_reset_mailed'
  | 'verification_mailed'
  | 'roles_changed'
  | 'flags_changed'
  | 'lock_cleared';

/** Small and flat; never a password, a token or a hash. */
export type AuditDetail = Readonly<Record<string, string | number | boolean | null>>;

export interface AuditEvent {
  type: AuditEventType;
  /** the account it concerns */
  userId?: string | null | undefined;
  /** the request that caused it; absent for what Gatehouse does by itself (timers, the CLI) */
  context?: RequestContext | undefined;
  /** the session it happened in or to */
  sessionId?: string | null | undefined;
  /** who acted, when not the account's owner through `context` (the owner) or nobody (the system) */
  actor?: { kind: AuditActor; id?: string } | undefined;
  detail?: AuditDetail | undefined;
}

export interface AuditTrailDeps {
  /** the history itself, for reading it */
  events: Pick<AuditRepository, 'listForUser'>;
  clock: Clock;
  newId: () => string;
  /** where security events also leave one line, for whoever tails the logs */
  logger: Logger;
}

// What an operator tailing the logs should see as it happens, and at what level.
const loggedEvents: Partial<Record<AuditEventType, 'warn' | 'info'>> = {
  locked_out: 'warn',
  refresh_reuse_detected: 'warn',
  password_reset: 'info',
  deactivated: 'info',
  erased: 'info',
  activated: 'info',
  reactivated: 'info',
  roles_changed: 'info',
  flags_changed: 'warn',
  lock_cleared: 'info',
};

// What people see of their own history, as the large providers show it: how and from where they signed
// in, and what changed about their credentials and address. Mail and key events are the operators'.
const ownEventTypes: readonly AuditEventType[] = [
  'registered',
  'sign_in_succeeded',
  'sign_in_failed',
  'locked_out',
  'signed_out',
  'session_revoked',
  'refresh_reuse_detected',
  'password_changed',
  'password_reset',
  'email_change_requested',
  'email_change_confirmed',
  'email_verified',
];

// A user agent is the client's to choose; a few hundred characters name any real one.
const maxUserAgentLength = 512;

export type AuditTrail = ReturnType<typeof createAuditTrail>;

/** Writes the security history: each event with the change it records, in the same unit of work. */
export function createAuditTrail({ events, clock, newId, logger }: AuditTrailDeps) {
  return {
    /** What a person is shown of their own history: their newest security events. */
    ownEvents(userId: string, limit: number): Promise<AuditRecord[]> {
      return events.listForUser(userId, ownEventTypes, limit);
    },

    /**
     * Records `event` through `repositories`: a unit of work, so that it commits with its change, or the
     * store itself for an event that changes nothing else (a failed sign-in).
     */
    async record(repositories: Pick<Repositories, 'auditEvents'>, event: AuditEvent): Promise<void> {
      const { context } = event;
      const actor = event.actor ?? { kind: context === undefined ? 'system' : 'self' };
      const record = {
        id: newId(),
        type: event.type,
        userId: event.userId ?? null,
        actor: actor.kind,
        actorId: actor.id ?? null,
        sessionId: event.sessionId ?? null,
        ip: context?.ip ?? null,
        userAgent: context?.userAgent?.slice(0, maxUserAgentLength) ?? null,
        requestId: context?.requestId ?? null,
        detail: event.detail ?? {},
        createdAt: clock.now(),
      };
      await repositories.auditEvents.insert(record);
      const level = loggedEvents[event.type];
      if (level === undefined) return;
      const line = () => {
        logger[level](
          {
            event: record.type,
            userId: record.userId,
            actor: record.actor,
            sessionId: record.sessionId,
            ip: record.ip,
            requestId: record.requestId,
            ...record.detail,
          },
          `security event: ${record.type.replaceAll('_', ' ')}`,
        );
      };
      // inside a unit, said only once it has committed: a rolled-back event never happened
      if (isUnit(repositories)) repositories.afterCommit(line);
      else line();
    },
  };
}

function isUnit(repositories: Pick<Repositories, 'auditEvents'>): repositories is UnitOfWork {
  return 'afterCommit' in repositories;
}
