import { parseArgs } from 'node:util';
import type { AccountService } from '../accounts/account-service.ts';
import { conduitWording } from '../http/conduit/wording.ts';
import { word } from '../http/wording.ts';
import { CommandError, withServices, type Env } from './context.ts';
import { askNewPassword, saveAskingAgain } from './new-password.ts';
import { createPrompter, readPipedLine, type Prompter } from './prompt.ts';

const superuser = { isStaff: true, isSuperuser: true };

/**
 * `gatehouse createsuperuser`: prompts for email, username and password, each checked as it is given (a
 * taken or malformed one is asked for again, as Django does); or with `--no-input` (Django's `--noinput`
 * too), takes `--email` and `--username` and the password from GATEHOUSE_SUPERUSER_PASSWORD or the first
 * line of stdin.
 */
export async function createSuperuser(args: string[], env: Env): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      email: { type: 'string' },
      username: { type: 'string' },
      'no-input': { type: 'boolean', default: false },
      noinput: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values['no-input'] || values.noinput) {
    const input = await fromArguments(values.email, values.username, env);
    await withServices(env, async ({ accounts }) => {
      report(await accounts.createUser(input, superuser));
    });
    return;
  }

  const prompter = createPrompter();
  try {
    await withServices(env, async ({ accounts }) => {
      const email = values.email ?? (await askNewName(prompter, accounts, 'email', 'Email: '));
      const username = values.username ?? (await askNewName(prompter, accounts, 'username', 'Username: '));
      const password = await askNewPassword(prompter, 'Password: ');
      const user = await saveAskingAgain(prompter, password, 'Password: ', (candidate) =>
        accounts.createUser({ email, username, password: candidate }, superuser),
      );
      report(user);
    });
  } finally {
    prompter.close();
  }
}

/**
 * Asks for the new account's email or username, at a terminal again until it is one the account can have;
 * from a pipe, the answer is checked with the rest when the account is saved.
 */
async function askNewName(
  prompter: Prompter,
  accounts: AccountService,
  field: 'email' | 'username',
  question: string,
): Promise<string> {
  for (;;) {
    const value = await prompter.ask(question);
    if (!prompter.interactive) return value;
    const problem = await accounts.newNameProblem(field, value);
    if (problem === undefined) return value;
    prompter.say(`${field} ${word(conduitWording, field, problem)}; try again`);
  }
}

function report(user: { username: string; email: string | null }): void {
  console.log(`superuser ${user.username} <${user.email}> created`);
}

async function fromArguments(email: string | undefined, username: string | undefined, env: Env) {
  if (email === undefined || username === undefined) {
    throw new CommandError('--no-input needs --email and --username');
  }
  const password = env.GATEHOUSE_SUPERUSER_PASSWORD ?? (await readPipedLine());
  if (password === undefined || password === '') {
    throw new CommandError('--no-input needs the password in GATEHOUSE_SUPERUSER_PASSWORD or on stdin');
  }
  return { email, username, password };
}
