import { execFileSync, spawn } from 'node:child_process';
import { binary } from './server-process.ts';

const timeout = 20_000;

function hasScript(): boolean {
  try {
    return execFileSync('script', ['--version'], { stdio: 'pipe' }).toString().includes('util-linux');
  } catch {
    return false;
  }
}

/** The `skip` option of a test that needs a terminal: util-linux's script(1) makes one, or the reason. */
export const skipWithoutTerminal: string | false = hasScript()
  ? false
  : 'needs script(1) from util-linux to give the command a terminal';

export interface Exchange {
  /** what the output so far ends with when the answer is due */
  prompt: RegExp;
  answer: string;
}

/**
 * Runs `gatehouse <args>` at a pseudo-terminal, as a person would, typing each answer once the output so
 * far ends with its prompt. Resolves with the exit code and everything the terminal showed.
 */
export function runAtTerminal(
  args: readonly string[],
  options: { env: Record<string, string>; dialogue: readonly Exchange[] },
): Promise<{ code: number | null; output: string }> {
  const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
  const command = [process.execPath, binary, ...args].map(quote).join(' ');
  // -e: script ends with the command's exit code; the transcript goes nowhere
  const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], {
    env: options.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const pending = [...options.dialogue];
  let output = '';
  let answered = 0;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    const next = pending[0];
    if (next !== undefined && next.prompt.test(output.slice(answered))) {
      pending.shift();
      answered = output.length;
      // Enter on a terminal is a carriage return
      child.stdin.write(`${next.answer}\r`);
    }
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`gatehouse ${args.join(' ')} did not finish at the terminal in ${timeout} ms\n${output}`),
      );
    }, timeout);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
