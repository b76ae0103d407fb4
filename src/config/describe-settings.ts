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
  if (masking === 'url-password') return maskUrlPassword(text);
  return text;
}

// query parameters that carry a secret in the drivers' URLs (pg's `password`, `sslpassword`, `sslkey`, …)
const secretParameter = /pass|secret|key|token/i;

/**
 * The URL with its address kept and every password hidden: the one in its user part, however many `@` it
 * holds (the URL parser, as the drivers, takes the last one as the end of it), and any in its query. A URL
 * the parser cannot read is hidden whole; one with nothing to hide is printed as given.
 */
function maskUrlPassword(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return '********';
  }
  const secrets = [...url.searchParams.keys()].filter((key) => secretParameter.test(key));
  if (url.password === '' && secrets.length === 0) return text;
  if (url.password !== '') url.password = '********';
  for (const key of secrets) url.searchParams.set(key, '********');
  return url.toString();
}
