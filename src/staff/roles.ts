import type { Problem } from '../errors.ts';

/** How many roles one account may hold, and how long a role's name may be. */
export const roleLimits = { perUser: 32, nameLength: 64 } as const;

// ASCII only, so a name reads the same in every relying party's comparison; `:` and `.` allow namespaces
// (`billing:admin`, `org.viewer`)
const roleName = /^[a-z0-9_.:-]{1,64}$/;

/**
 * Role names as they are stored and carried in tokens: lower-cased (`Organizer` and `organizer` are one
 * role, since relying parties compare claims exactly and two names differing by case would be a trap),
 * distinct and sorted; or what is wrong with them.
 */
export function normalizeRoles(
  names: readonly string[],
): { ok: true; roles: string[] } | { ok: false; problem: Problem } {
  const roles = [...new Set(names.map((name) => name.trim().toLowerCase()))].sort();
  if (roles.length > roleLimits.perUser || !roles.every((role) => roleName.test(role))) {
    return { ok: false, problem: { code: 'invalid' } };
  }
  return { ok: true, roles };
}

/** One role name as a filter compares it; undefined when no stored role could have it. */
export function normalizeRole(name: string): string | undefined {
  const role = name.trim().toLowerCase();
  return roleName.test(role) ? role : undefined;
}
