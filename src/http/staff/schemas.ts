import { Type, type Static } from 'typebox';
import type { User } from '../../accounts/account-service.ts';
import type { LoginLock } from '../../limits/rate-limits.ts';
import type { AuditRecord, Session } from '../../staff/user-directory.ts';

const Time = Type.String({ format: 'date-time' });
const Nullable = <T extends Type.TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** An account as staff see it: everything but its secrets. */
export const StaffUser = Type.Object({
  id: Type.String(),
  /** null for an account registered by username alone (DJOSER_LOGIN_FIELD=username) */
  email: Type.Union([Type.String(), Type.Null()]),
  username: Type.String(),
  firstName: Nullable(
    Type.String({ description: 'null when not given (imported from Django, or set through /auth)' }),
  ),
  lastName: Nullable(Type.String({ description: 'null when not given' })),
  bio: Nullable(Type.String()),
  image: Nullable(Type.String()),
  isActive: Type.Boolean(),
  isStaff: Type.Boolean(),
  isSuperuser: Type.Boolean(),
  emailVerified: Type.Boolean(),
  roles: Type.Array(Type.String(), { description: 'lower-case role names, sorted' }),
  joinedAt: Time,
  lastLoginAt: Nullable(Time),
  deactivation: Nullable(
    Type.Object(
      {
        reason: Nullable(Type.String({ description: 'null when the account deactivated itself' })),
        until: Nullable(Time),
        at: Time,
        by: Nullable(Type.String({ description: 'the id of the staff member who did it' })),
      },
      { description: 'why, since when and until when the account is deactivated; null while active' },
    ),
  ),
});

export const UserParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const UserResponse = Type.Object({ user: StaffUser });

/** A live session as staff see it. */
export const StaffSession = Type.Object({
  id: Type.String(),
  createdAt: Time,
  lastUsedAt: Time,
  expiresAt: Time,
  userAgent: Nullable(Type.String()),
  ip: Nullable(Type.String()),
});

/** One event of the security history. */
export const StaffAuditEvent = Type.Object({
  id: Type.String(),
  at: Time,
  type: Type.String(),
  userId: Nullable(Type.String()),
  actor: Type.Union([Type.Literal('self'), Type.Literal('staff'), Type.Literal('system')]),
  actorId: Nullable(Type.String()),
  sessionId: Nullable(Type.String()),
  ip: Nullable(Type.String()),
  userAgent: Nullable(Type.String()),
  requestId: Nullable(Type.String()),
  detail: Type.Record(Type.String(), Type.Unknown()),
});

/** The login lock on an account's email. */
export const Lock = Type.Object({
  locked: Type.Boolean(),
  failures: Type.Integer({ description: 'failed sign-ins counted in the open window' }),
  until: Nullable(Type.String({ format: 'date-time', description: 'when the lock lifts by itself' })),
});

const isoTime = (epochMs: number): string => new Date(epochMs).toISOString();
const isoTimeOrNull = (epochMs: number | null): string | null => (epochMs === null ? null : isoTime(epochMs));

/** The staff view of a user. */
export function toStaffUser(user: User): Static<typeof StaffUser> {
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    firstName: user.firstName,
    lastName: user.lastName,
    bio: user.bio,
    image: user.image,
    isActive: user.isActive,
    isStaff: user.isStaff,
    isSuperuser: user.isSuperuser,
    emailVerified: user.emailVerifiedAt !== null,
    roles: user.roles,
    joinedAt: isoTime(user.createdAt),
    lastLoginAt: isoTimeOrNull(user.lastLoginAt),
    deactivation:
      user.isActive || user.deactivatedAt === null
        ? null
        : {
            reason: user.deactivationReason,
            until: isoTimeOrNull(user.deactivatedUntil),
            at: isoTime(user.deactivatedAt),
            by: user.deactivatedBy,
          },
  };
}

export function toStaffSession(session: Session): Static<typeof StaffSession> {
  return {
    id: session.id,
    createdAt: isoTime(session.createdAt),
    lastUsedAt: isoTime(session.lastUsedAt),
    expiresAt: isoTime(session.expiresAt),
    userAgent: session.userAgent,
    ip: session.ip,
  };
}

export function toStaffAuditEvent(event: AuditRecord): Static<typeof StaffAuditEvent> {
  return {
    id: event.id,
    at: isoTime(event.createdAt),
    type: event.type,
    userId: event.userId,
    actor: event.actor,
    actorId: event.actorId,
    sessionId: event.sessionId,
    ip: event.ip,
    userAgent: event.userAgent,
    requestId: event.requestId,
    detail: event.detail,
  };
}

export function toLock(lock: LoginLock): Static<typeof Lock> {
  return { locked: lock.locked, failures: lock.failures, until: isoTimeOrNull(lock.until) };
}
