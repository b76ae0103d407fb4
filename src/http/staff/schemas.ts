import { Type, type Static } from 'typebox';
import type { User } from '../../accounts/account-service.ts';

const Time = Type.String({ format: 'date-time' });

/** An account as staff see it: everything but its secrets. */
export const StaffUser = Type.Object({
  id: Type.String(),
  email: Type.String(),
  username: Type.String(),
  bio: Type.Union([Type.String(), Type.Null()]),
  image: Type.Union([Type.String(), Type.Null()]),
  isActive: Type.Boolean(),
  isStaff: Type.Boolean(),
  isSuperuser: Type.Boolean(),
  emailVerified: Type.Boolean(),
  joinedAt: Time,
  lastLoginAt: Type.Union([Time, Type.Null()]),
});

export const UserParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const UserResponse = Type.Object({ user: StaffUser });

const isoTime = (epochMs: number): string => new Date(epochMs).toISOString();

/** The staff view of a user. */
export function toStaffUser(user: User): Static<typeof StaffUser> {
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    bio: user.bio,
    image: user.image,
    isActive: user.isActive,
    isStaff: user.isStaff,
    isSuperuser: user.isSuperuser,
    emailVerified: user.emailVerifiedAt !== null,
    joinedAt: isoTime(user.createdAt),
    lastLoginAt: user.lastLoginAt === null ? null : isoTime(user.lastLoginAt),
  };
}
