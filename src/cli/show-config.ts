import { describeSettings } from '../config/describe-settings.ts';
import { CommandError, type Env } from './context.ts';

/** `gatehouse config`: the effective configuration, one `NAME=value` a line, secrets masked. */
export function showConfig(args: string[], env: Env): Promise<void> {
  if (args.length > 0) throw new CommandError(`config takes no arguments (got ${args.join(' ')})`);
  for (const [name, value] of describeSettings(env)) console.log(`${name}=${value}`);
  return Promise.resolve();
}
