import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { onCi } from './ci.ts';

/** Debian's chromium: the browser tests drive the system's, never a downloaded one. */
const chromiumPath = '/usr/bin/chromium';

/**
 * The `skip` option of every browser test: on a developer's machine without Chromium, a reason in one
 * line; false when it is there, and always under CI, where .ci/run installs it and its absence must fail.
 */
export const skipWithoutChromium: string | false =
  onCi || existsSync(chromiumPath)
    ? false
    : `no Chromium at ${chromiumPath}: apt-get install chromium (with CI=true this fails)`;

/** A headless Chromium that stays off the network except for what a page asks of 127.0.0.1. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    timeout: 30_000,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
