import { parseArgs } from 'node:util';
import { CommandError, withServices, type Env } from './context.ts';
import { askNewPassword, saveAskingAgain } from './new-password.ts';
import { createPrompter } from './prompt.ts';

/** `gatehouse changepassword <email>`: sets a new password (prompted, or a line on stdin); ends every session. */
export async function changePassword(args: string[], env: Env): Promise<void> {
  const { positionals } = parseArgs({ args, options: {}, allowPositionals: true, strict: true });
  const [email, ...extra] = positionals;
  if (email === undefined || extra.length > 0)
    throw new CommandError('usage: gatehouse changepassword <email>');
  await withServices(env, async ({ accounts }) => {
    // before the prompt: nobody should type a new password for an account that is not there
    if (!(await accounts.hasAccount(email))) throw new Error(`no such user: ${email}`);
    const question = `New password for ${email}: `;
    const prompter = createPrompter();
    try {
      const password = await askNewPassword(prompter, question);
      const user = await saveAskingAgain(prompter, password, question, (candidate) =>
        accounts.setPassword(email, candidate),
      );
      console.log(`password changed for ${user.username}; every session was signed out`);
    } finally {
      prompter.close();
    }
  });
}
