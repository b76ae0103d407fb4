import { parseArgs } from 'node:util';
import { CommandError, withServices, type Env } from './context.ts';
import { askNewPassword, saveAskingAgain } from './new-password.ts';
import { createPrompter, readPipedLine } from './prompt.ts';

const superuser = { isStaff: true, isSuperuser: true };

/**
 * `gatehouse createsuperuser`: prompts for email, username and password; or with `--no-input`, takes
 * `--email` and `--username` and the password from GATEHOUSE_SUPERUSER_PASSWORD or the first line of stdin.
 */
export async function createSuperuser(args: string[], env: Env): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      email: { type: 'string' },
      username: { type: 'string' },
      'no-input': { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values['no-input']) {
    const input = await fromArguments(values.email, values.username, env);
    await withServices(env, async ({ accounts }) => {
      report(await accounts.createUser(input, superuser));
    });
    return;
  }

  const prompter = createPrompter();
  try {
    const email = values.email ?? (await prompter.ask('Email: '));
    const username = values.username ?? (await prompter.ask('Username: '));
    const password = await askNewPassword(prompter, 'Password: ');
    await withServices(env, async ({ accounts }) => {
      const user = await saveAskingAgain(prompter, password, 'Password: ', (candidate) =>
        accounts.createUser({ email, username, password: candidate }, superuser),
      );
      report(user);
    });
  } finally {
    prompter.close();
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
