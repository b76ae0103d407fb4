import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

export interface Prompter {
  /** A person answers at a terminal, rather than a script through a pipe. */
  readonly interactive: boolean;
  /** Asks and returns one line; `secret` answers are not echoed on a terminal. */
  ask(question: string, options?: { secret?: boolean }): Promise<string>;
  /** Tells the person answering something, on a line of its own. */
  say(line: string): void;
  close(): void;
}

/**
 * Line prompts over stdin. On a terminal, secret answers are typed blind; from a pipe, each prompt takes
 * the next line, so scripts can answer too. Passwords therefore never need to appear in argv.
 */
export function createPrompter(
  input: NodeJS.ReadStream = process.stdin,
  output: NodeJS.WriteStream = process.stderr,
): Prompter {
  const terminal = input.isTTY;
  let muted = false;
  const echo = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (!muted) output.write(chunk);
      callback();
    },
  });
  const lines = createInterface({ input, output: echo, terminal })[Symbol.asyncIterator]();
  let closed = false;
  return {
    interactive: terminal,
    async ask(question, options = {}) {
      output.write(question);
      muted = terminal && options.secret === true;
      const next = await lines.next();
      if (muted) output.write('\n');
      muted = false;
      if (next.done === true) throw new Error('no more input');
      return next.value;
    },
    say(line) {
      output.write(`${line}\n`);
    },
    close() {
      if (!closed) void lines.return?.();
      closed = true;
    },
  };
}

/** Reads the first line of a piped stdin; undefined on a terminal or when nothing was piped. */
export async function readPipedLine(input: NodeJS.ReadStream = process.stdin): Promise<string | undefined> {
  if (input.isTTY) return undefined;
  const prompter = createPrompter(input);
  try {
    return await prompter.ask('');
  } catch {
    return undefined;
  } finally {
    prompter.close();
  }
}
