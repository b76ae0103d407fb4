import { parseArgs } from 'node:util';
import { systemClock } from '../clock.ts';
import type { Services } from '../services.ts';
import { userPageSize } from '../staff/user-directory.ts';
import { parseCount, parseMoment } from './arguments.ts';
import { formatAuditTable } from './audit.ts';
import { CommandError, withServices, type Env } from './context.ts';
import { formatTable, formatTime } from './table.ts';

// The events `users show` lists under the account.
const recentEvents = 10;
// What `users list --limit` may ask for: a screenful by default.
const listLimit = { default: 50, max: 1000 } as const;

type Subcommand = (args: string[], env: Env) => Promise<void>;

const subcommands: Record<string, Subcommand> = {
  list,
  show,
  deactivate,
  activate,
  unlock,
  'set-roles': setRoles,
};

const subcommandNames = Object.keys(subcommands).join(', ');

/** `gatehouse users <subcommand>`: the accounts as an operator without a browser manages them. */
export async function users(args: string[], env: Env): Promise<void> {
  const [name, ...rest] = args;
  const subcommand = name === undefined ? undefined : subcommands[name];
  if (subcommand === undefined) {
    throw new CommandError(
      name === undefined
        ? `a subcommand is needed: ${subcommandNames}`
        : `unknown subcommand '${name}' (${subcommandNames})`,
    );
  }
  await subcommand(rest, env);
}

/** The one account a subcommand names (`<email|id>`), and the values of its string options. */
function oneReference(args: string[], usage: string, options: readonly string[] = []) {
  const parsed = parseArgs({
    args,
    options: Object.fromEntries(options.map((option) => [option, { type: 'string' as const }])),
    allowPositionals: true,
    strict: true,
  });
  const [reference, ...extra] = parsed.positionals;
  if (reference === undefined || extra.length > 0) throw new CommandError(`usage: gatehouse users ${usage}`);
  return { reference, values: parsed.values as Readonly<Record<string, string | undefined>> };
}

const yesNo = (flag: boolean): string => (flag ? 'yes' : 'no');

/** `users show <email|id>`: the account, its live sessions and its latest events. */
async function show(args: string[], env: Env): Promise<void> {
  const { reference } = oneReference(args, 'show <email|id>');
  await withServices(env, async (services) => {
    const user = await services.staff.directory.userByEmailOrId(reference);
    console.log(describeUser(user));
    await printSessions(services, user.id);
    const { events } = await services.staff.auditLog.page({ userId: user.id }, { limit: recentEvents });
    console.log(`\nlatest events (${String(events.length)}):`);
    if (events.length > 0) console.log(formatAuditTable(events));
  });
}

type User = Awaited<ReturnType<Services['staff']['directory']['user']>>;

function describeDeactivation(user: User): string {
  if (user.deactivatedAt === null) return '-';
  const until = user.deactivatedUntil === null ? '' : ` until ${formatTime(user.deactivatedUntil)}`;
  const reason = user.deactivationReason === null ? '' : `: ${user.deactivationReason}`;
  return `${formatTime(user.deactivatedAt)}${until}${reason}`;
}

const describeName = (user: User): string => `${user.username} <${user.email}>`;

/** `users list [--q <prefix>] [--staff] [--inactive] [--limit N]`: newest first, or by the name a search matched. */
async function list(args: string[], env: Env): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      q: { type: 'string' },
      staff: { type: 'boolean' },
      inactive: { type: 'boolean' },
      limit: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 0) {
    throw new CommandError(`users list takes no arguments (got ${positionals.join(' ')})`);
  }
  const limit = parseCount('--limit', values.limit, listLimit.default, listLimit.max);
  await withServices(env, async ({ staff }) => {
    const found: User[] = [];
    let cursor: string | undefined;
    do {
      const page = await staff.directory.search({
        q: values.q,
        staff: values.staff === true ? true : undefined,
        active: values.inactive === true ? false : undefined,
        limit: Math.min(userPageSize.max, limit - found.length),
        cursor,
      });
      found.push(...page.users);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined && found.length < limit);
    if (found.length === 0) {
      console.log('no users match');
      return;
    }
    console.log(
      formatTable(
        ['ID', 'EMAIL', 'USERNAME', 'ACTIVE', 'STAFF', 'ROLES', 'JOINED', 'LAST SIGN-IN'],
        found.map((user) => [
          user.id,
          user.email ?? '-',
          user.username,
          yesNo(user.isActive),
          user.isSuperuser ? 'superuser' : yesNo(user.isStaff),
          user.roles.length === 0 ? '-' : user.roles.join(','),
          formatTime(user.createdAt),
          formatTime(user.lastLoginAt),
        ]),
      ),
    );
  });
}

/** `users deactivate <email|id> --reason <text> [--until <time|duration>]`, audited as the system. */
async function deactivate(args: string[], env: Env): Promise<void> {
  const usage = 'deactivate <email|id> --reason <text> [--until <time|7d>]';
  const { reference, values } = oneReference(args, usage, ['reason', 'until']);
  if (values.reason === undefined) throw new CommandError(`--reason is required: gatehouse users ${usage}`);
  const reason = values.reason;
  const until =
    values.until === undefined ? undefined : parseMoment('--until', values.until, systemClock.now(), 1);
  await withServices(env, async ({ staff }) => {
    const user = await staff.directory.userByEmailOrId(reference);
    const deactivated = await staff.actions.deactivate('system', user.id, { reason, until });
    console.log(
      `${describeName(deactivated)} deactivated` +
        (until === undefined ? '' : ` until ${formatTime(until)}`) +
        '; every session ended',
    );
  });
}

/** `users activate <email|id> [--reason <text>]`, audited as the system. */
async function activate(args: string[], env: Env): Promise<void> {
  const { reference, values } = oneReference(args, 'activate <email|id> [--reason <text>]', ['reason']);
  await withServices(env, async ({ staff }) => {
    const user = await staff.directory.userByEmailOrId(reference);
    if (user.isActive) {
      console.log(`${describeName(user)} is active already: nothing changed`);
      return;
    }
    const activated = await staff.actions.activate('system', user.id, values.reason);
    console.log(`${describeName(activated)} activated`);
  });
}

/** `users unlock <email|id>`: lifts the login lock on the account's email, audited as the system. */
async function unlock(args: string[], env: Env): Promise<void> {
  const { reference } = oneReference(args, 'unlock <email|id>');
  await withServices(env, async ({ staff }) => {
    const user = await staff.directory.userByEmailOrId(reference);
    const lock = await staff.directory.lock(user.id);
    await staff.actions.clearLock('system', user.id);
    console.log(
      lock.locked
        ? `login lock on ${user.email} lifted (${String(lock.failures)} failed sign-ins forgotten)`
        : `${user.email} was not locked; ${String(lock.failures)} failed sign-ins forgotten`,
    );
  });
}

/** `users set-roles <email|id> [<role>...] [--reason <text>]`: replaces the roles (none clears them). */
async function setRoles(args: string[], env: Env): Promise<void> {
  const parsed = parseArgs({
    args,
    options: { reason: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const [reference, ...roles] = parsed.positionals;
  if (reference === undefined) {
    throw new CommandError('usage: gatehouse users set-roles <email|id> [<role>...] [--reason <text>]');
  }
  await withServices(env, async ({ staff }) => {
    const user = await staff.directory.userByEmailOrId(reference);
    const updated = await staff.actions.setRoles('system', user.id, roles, parsed.values.reason);
    console.log(
      `roles of ${describeName(updated)}: ${updated.roles.length === 0 ? '(none)' : updated.roles.join(', ')}`,
    );
  });
}

function describeUser(user: User): string {
  const fields: Array<[string, string]> = [
    ['id', user.id],
    ['email', user.email ?? '(none)'],
    ['username', user.username],
    ['active', yesNo(user.isActive)],
    ['staff', yesNo(user.isStaff)],
    ['superuser', yesNo(user.isSuperuser)],
    ['verified', user.emailVerifiedAt === null ? 'no' : `yes, ${formatTime(user.emailVerifiedAt)}`],
    ['joined', formatTime(user.createdAt)],
    ['last sign-in', user.lastLoginAt === null ? 'never' : formatTime(user.lastLoginAt)],
    ['roles', user.roles.length === 0 ? '-' : user.roles.join(', ')],
    ['deactivated', describeDeactivation(user)],
  ];
  // a whole reason, however long: one account, so no column to keep narrow
  return fields.map(([name, value]) => `${name.padEnd(14)}${value}`).join('\n');
}

async function printSessions(services: Services, userId: string): Promise<void> {
  const { sessions } = await services.sessions.listPage(userId, { limit: 100 });
  console.log(`\nlive sessions (${String(sessions.length)}):`);
  if (sessions.length === 0) return;
  console.log(
    formatTable(
      ['ID', 'OPENED', 'LAST USED', 'EXPIRES', 'IP', 'USER AGENT'],
      sessions.map((session) => [
        session.id,
        formatTime(session.createdAt),
        formatTime(session.lastUsedAt),
        formatTime(session.expiresAt),
        session.ip ?? '-',
        session.userAgent ?? '-',
      ]),
    ),
  );
}
