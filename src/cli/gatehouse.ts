import { ConfigError, loadConfig } from '../config/config.ts';
import { GatehouseError } from '../errors.ts';
import { conduitWording } from '../http/conduit/wording.ts';
import { word } from '../http/wording.ts';
import { audit } from './audit.ts';
import { changePassword } from './change-password.ts';
import { CommandError, type Env } from './context.ts';
import { createSuperuser } from './create-superuser.ts';
import { keys } from './keys.ts';
import { mail } from './mail.ts';
import { migrate } from './migrate.ts';
import { showConfig } from './show-config.ts';
import { users } from './users.ts';

const commands: Record<string, (args: string[], env: Env) => Promise<void>> = {
  serve: async (args, env) => {
    if (args.length > 0) throw new CommandError(`serve takes no arguments (got ${args.join(' ')})`);
    // the HTTP stack loads only for the command that needs it; the others start quicker without it
    const { serve } = await import('../main.ts');
    await serve(env);
  },
  migrate,
  createsuperuser: createSuperuser,
  changepassword: changePassword,
  keys,
  mail,
  config: showConfig,
  users,
  audit,
};

const usage = `usage: gatehouse <command>

  serve                      run the HTTP server
  migrate [--status]         apply pending migrations, or list them
  createsuperuser            create a staff superuser (prompts; or --email --username --no-input)
  changepassword <email>     set a user's password (prompted, or one line on stdin)
  keys rotate [--algorithm EdDSA|ES256|RS256]
                             make a new signing key the signer; the old one verifies until its tokens expire
  keys retire                under JWT_ALGORITHM=HS256: stop every stored key signing; each verifies until
                             its tokens expire
  keys list                  list signing keys: kid, algorithm, state, created
  mail test <address>        send one mail through SMTP_URL and print the server's answer
  config                     print the effective configuration, secrets masked
  users show <email|id>      one account: flags, live sessions, latest events
  audit [--user <email|id>] [--type <type>] [--since <time|24h|7d>] [--limit N]
                             the audit log, newest first (50; at most 10000)`;

/** One line a failure: what went wrong, never a stack. Field problems read as RealWorld words them. */
function describe(error: unknown): string {
  if (error instanceof GatehouseError && Object.keys(error.fields).length > 0) {
    return Object.entries(error.fields)
      .map(([field, problem]) => `${field} ${word(conduitWording, field, problem)}`)
      .join('; ');
  }
  if (error instanceof Error) return error.message.split('\n')[0] ?? error.name;
  return String(error);
}

async function run(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    // asked for nothing: a usage error, told where errors go
    console.error(usage);
    return 2;
  }
  if (name === 'help' || name === '--help' || name === '-h') {
    console.log(usage);
    return 0;
  }
  const command = commands[name];
  if (command === undefined) {
    console.error(`gatehouse: unknown command '${name}' (try: gatehouse help)`);
    return 2;
  }
  try {
    // a .env file in the working directory fills in what the environment leaves unset
    loadDotEnv();
    // a bad setting fails every command at once, before it prompts for anything
    loadConfig(process.env);
    await command(args, process.env);
    return 0;
  } catch (error) {
    const usageError =
      error instanceof CommandError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    console.error(`gatehouse ${name}: ${describe(error)}`);
    return usageError === true || error instanceof ConfigError ? 2 : 1;
  }
}

function loadDotEnv(): void {
  try {
    process.loadEnvFile('.env');
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT') throw error;
  }
}

const exitCode = await run(process.argv.slice(2));
// serve keeps running on its own; every other command ends here
if (process.argv[2] !== 'serve' || exitCode !== 0) process.exit(exitCode);
