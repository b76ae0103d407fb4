import { parseArgs } from 'node:util';
import type { Services } from '../services.ts';
import { formatAuditTable } from './audit.ts';
import { CommandError, withServices, type Env } from './context.ts';
import { formatTable, formatTime } from './table.ts';

// The events `users show` lists under the account.
const recentEvents = 10;

type Subcommand = (args: string[], env: Env) => Promise<void>;

const subcommands: Record<string, Subcommand> = {
  show,
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

function describeUser(user: User): string {
  return formatTable(
    ['', ''],
    [
      ['id', user.id],
      ['email', user.email],
      ['username', user.username],
      ['active', yesNo(user.isActive)],
      ['staff', yesNo(user.isStaff)],
      ['superuser', yesNo(user.isSuperuser)],
      ['verified', user.emailVerifiedAt === null ? 'no' : `yes, ${formatTime(user.emailVerifiedAt)}`],
      ['joined', formatTime(user.createdAt)],
      ['last sign-in', user.lastLoginAt === null ? 'never' : formatTime(user.lastLoginAt)],
      ['deactivated', formatTime(user.deactivatedAt)],
    ],
  )
    .split('\n')
    .slice(1)
    .join('\n');
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
