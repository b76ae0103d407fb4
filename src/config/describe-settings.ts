import { loadConfig, settingsOf, type Env } from './config.ts';
import { EnvironmentSchema, masked, type Masking } from './environment-schema.ts';

/** Every setting as it is in effect, by variable name, secrets masked: what `gatehouse config` prints. */
export function describeSettings(env: Env): Array<[name: string, value: string]> {
  loadConfig(env);
  const settings = settingsOf(env);
  // every known key, so an unset optional one (SECRET_KEY, PUBLIC_URL) says so rather than vanishing
  return Object.keys(EnvironmentSchema.properties).map((name) => [name, mask(name, settings[name])]);
}

function mask(name: string, value: unknown): string {
  if (value === undefined) return name === 'SECRET_KEY' ? '(unset: generated in DATA_DIR)' : '(unset)';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const masking = (EnvironmentSchema.properties as Record<string, { [masked]?: Masking }>)[name]?.[masked];
  if (masking === 'value') return '********';
  // keep the address, hide a password inside a connection URL (`redis://:password@host` has no user)
  if (masking === 'url-password') return text.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:********@');
  return text;
}
