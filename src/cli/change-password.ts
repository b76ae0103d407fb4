import { parseArgs } from 'node:util';
import { CommandError, withServices, type Env } from './context.ts';
import { createPrompter } from './prompt.ts';

/** `gatehouse changepassword <email>`: sets a new password (prompted, or a line on stdin); ends every session. */
export async function changePassword(args: string[], env: Env): Promise<void> {
  const { positionals } = parseArgs({ args, options: {}, allowPositionals: true, strict: true });
  const [email, ...extra] = positionals;
  if (email === undefined || extra.length > 0)
    throw new CommandError('usage: gatehouse changepassword <email>');

  const prompter = createPrompter();
  let password: string;
  try {
    password = await prompter.ask(`New password for ${email}: `, { secret: true });
    if (process.stdin.isTTY && (await prompter.ask('Password (again): ', { secret: true })) !== password) {
      throw new CommandError("passwords don't match");
    }
  } finally {
    prompter.close();
  }
  await withServices(env, async ({ accounts }) => {
    const user = await accounts.setPassword(email, password);
    console.log(`password changed for ${user.username}; every session was signed out`);
  });
}
