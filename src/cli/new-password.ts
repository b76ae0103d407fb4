import { GatehouseError, type Problem } from '../errors.ts';
import { conduitWording } from '../http/conduit/wording.ts';
import { word } from '../http/wording.ts';
import type { Prompter } from './prompt.ts';

/** Asks for a new password: at a terminal twice, and again until both answers match. */
export async function askNewPassword(prompter: Prompter, question: string): Promise<string> {
  for (;;) {
    const password = await prompter.ask(question, { secret: true });
    if (!prompter.interactive) return password;
    if ((await prompter.ask('Password (again): ', { secret: true })) === password) return password;
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
