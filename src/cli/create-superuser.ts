import { parseArgs } from 'node:util';
import { CommandError, withServices, type Env } from './context.ts';
import { createPrompter, readPipedLine } from './prompt.ts';

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
  const input = values['no-input']
    ? await fromArguments(values.email, values.username, env)
    : await fromPrompts(values.email, values.username);
  await withServices(env, async ({ accounts }) => {
    const user = await accounts.createUser(input, { isStaff: true, isSuperuser: true });
    console.log(`superuser ${user.username} <${user.email}> created`);
  });
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

async function fromPrompts(email: string | undefined, username: string | undefined) {
  const prompter = createPrompter();
  try {
    const answers = {
      email: email ?? (await prompter.ask('Email: ')),
      username: username ?? (await prompter.ask('Username: ')),
      password: await prompter.ask('Password: ', { secret: true }),
    };
    if (
      process.stdin.isTTY &&
      (await prompter.ask('Password (again): ', { secret: true })) !== answers.password
    ) {
      throw new CommandError("passwords don't match");
    }
    return answers;
  } finally {
    prompter.close();
  }
}
