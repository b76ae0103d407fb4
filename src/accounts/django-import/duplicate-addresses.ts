import type { DjangoSource, DjangoUserRow } from '../../store/django-source.ts';

/** Django ids (as text) of rows whose address a preferred row of the same address keeps, with that row. */
export async function findDuplicateLosers(source: DjangoSource): Promise<Map<string, string>> {
  const groups = new Map<string, DjangoUserRow[]>();
  for (const row of await source.findDuplicates('email')) {
    const key = (row.email ?? '').trim().toLowerCase();
    const group = groups.get(key) ?? [];
    group.push(row);
    groups.set(key, group);
  }
  const losers = new Map<string, string>();
  for (const group of groups.values()) {
    // the account in use is kept: an active one, then the latest sign-in, then the oldest
    group.sort(
      (a, b) =>
        Number(b.isActive) - Number(a.isActive) ||
        (b.lastLoginAt ?? -1) - (a.lastLoginAt ?? -1) ||
        (a.joinedAt ?? 0) - (b.joinedAt ?? 0),
    );
    const [kept, ...others] = group;
    for (const other of others) losers.set(String(other.id), String(kept?.id));
  }
  return losers;
}
