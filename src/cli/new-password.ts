import { GatehouseError, type Problem } from '../errors.ts';
import { conduitWording } from '../http/conduit/wording.ts';
import { word } from '../http/wording.ts';
import type { Prompter } from './prompt.ts';

// Django's changepassword gives up after as many; a terminal left asking for ever helps nobody.
const matchAttempts = 3;

/** Asks for a new password: at a terminal twice, and again while the answers differ, three times at most. */
export async function askNewPassword(prompter: Prompter, question: string): Promise<string> {
  for (let attempt = 1; ; attempt += 1) {
    const password = await prompter.ask(question, { secret: true });
    if (!prompter.interactive) return password;
    if ((await prompter.ask('Password (again): ', { secret: true })) === password) return password;
    if (attempt === matchAttempts) {
      // a failure, not a usage error: exit 1
      throw new Error(`the passwords did not match ${matchAttempts} times; nothing was changed`);
    }
    prompter.say("passwords don't match; try again");
  }
}

/**
 * Runs `save` with `password`. At a terminal, a password `save` refuses (the refusal names the password
 * alone) is told and asked for again, as Django's createsuperuser does; from a pipe, the refusal stands.
 */
export async function saveAskingAgain<T>(
  prompter: Prompter,
  password: string,
  question: string,
  save: (password: string) => Promise<T>,
): Promise<T> {
  for (let candidate = password; ; candidate = await askNewPassword(prompter, question)) {
    try {
      return await save(candidate);
    } catch (error) {
      const problem = passwordProblem(error);
      if (!prompter.interactive || problem === undefined) throw error;
      prompter.say(`password ${word(conduitWording, 'password', problem)}; try another`);
    }
  }
}

/** The problem with the password, when it is the only thing refused. */
function passwordProblem(error: unknown): Problem | undefined {
  if (!(error instanceof GatehouseError)) return undefined;
  const fields = Object.keys(error.fields);
  return fields.length === 1 && fields[0] === 'password' ? error.fields.password : undefined;
}
