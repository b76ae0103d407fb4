import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { check, resolveConfig } from 'prettier';
import { Type } from 'typebox';
import { EnvironmentSchema } from './environment-schema.ts';
import { renderConfigurationReference } from './configuration-doc.ts';
import { durationPattern } from './duration.ts';

// compiled to dist/src/config/, three folders below the repository root
const documentPath = fileURLToPath(new URL('../../../docs/configuration.md', import.meta.url));

/** The settings table of a rendered reference: variable name (without backticks) → its other cells. */
function tableRows(markdown: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of markdown.split('\n').filter((text) => text.startsWith('| `'))) {
    const [name = '', ...cells] = line
      .slice(2, -2)
      .split(' | ')
      .map((cell) => cell.trim());
    rows.set(name.replace(/`/g, ''), cells);
  }
  return rows;
}

function firstDifference(actual: string, expected: string): string {
  const actualLines = actual.split('\n');
  const expectedLines = expected.split('\n');
  const index = expectedLines.findIndex((line, at) => line !== actualLines[at]);
  const at = index === -1 ? expectedLines.length : index;
  return `line ${at + 1}: file has ${JSON.stringify(actualLines[at])}, schema gives ${JSON.stringify(expectedLines[at])}`;
}

describe('the configuration reference', () => {
  const rendered = renderConfigurationReference(EnvironmentSchema);

  it('is what docs/configuration.md holds: after changing a setting, run `npm run docs:config`', () => {
    const onDisk = readFileSync(documentPath, 'utf8');
    assert.ok(
      onDisk === rendered,
      `docs/configuration.md is out of date (${firstDifference(onDisk, rendered)}); run npm run docs:config`,
    );
  });

  it('is already in Prettier style, so `prettier --check` passes on the generated file', async () => {
    const options = await resolveConfig(documentPath);
    const formatted = await check(rendered, { ...options, filepath: documentPath });
    assert.ok(formatted, 'Prettier would rewrite the reference: a description uses Markdown it restyles');
  });

  it('has a row for every setting of EnvironmentSchema', () => {
    assert.deepEqual([...tableRows(rendered).keys()], Object.keys(EnvironmentSchema.properties));
  });

  it('shows the default, what is accepted and the meaning of every kind of setting', () => {
    const schema = Type.Object({
      COUNT: Type.Integer({
        minimum: 0,
        maximum: 1000,
        default: 10,
        description: 'a count; `0` turns it off',
      }),
      RATIO: Type.Number({ minimum: 0, description: 'a ratio' }),
      FLAG: Type.Boolean({ default: false, description: 'a flag' }),
      MODE: Type.Enum(['fast', 'safe'], { default: 'safe', description: 'a mode' }),
      LEVEL: Type.Union([Type.Literal('low'), Type.Literal('high')], { description: 'a level' }),
      WINDOW: Type.String({ pattern: durationPattern, default: '15m', description: 'a window' }),
      REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://', description: 'a store' })),
      LIMIT: Type.Optional(Type.Integer({ maximum: 5, description: 'a limit' })),
      NAME: Type.String({ minLength: 2, maxLength: 40, description: 'a name' }),
      LIST: Type.String({ default: '', description: 'a | b, comma-separated' }),
    });
    const rows = tableRows(renderConfigurationReference(schema));
    assert.deepEqual(Object.fromEntries(rows), {
      COUNT: ['`10`', 'integer 0–1000', 'a count; `0` turns it off'],
      RATIO: ['required', 'number ≥ 0', 'a ratio'],
      FLAG: ['`false`', '`true`, `false`', 'a flag'],
      MODE: ['`safe`', '`fast`, `safe`', 'a mode'],
      LEVEL: ['required', '`low`, `high`', 'a level'],
      WINDOW: ['`15m`', '[duration](#value-syntax)', 'a window'],
      REDIS_URL: ['unset', 'text matching `^rediss?://`', 'a store'],
      LIMIT: ['unset', 'integer ≤ 5', 'a limit'],
      NAME: ['required', 'text of 2–40 characters', 'a name'],
      LIST: ['empty', 'text', 'a \\| b, comma-separated'],
    });
  });

  it('refuses a setting without a description, naming it', () => {
    const schema = Type.Object({ UNEXPLAINED: Type.Integer({ default: 1 }) });
    assert.throws(
      () => renderConfigurationReference(schema),
      /UNEXPLAINED: every setting needs a description/,
    );
  });

  it('refuses a kind of setting it cannot describe rather than guessing, naming it', () => {
    const schema = Type.Object({ NESTED: Type.Object({}, { description: 'not a flat value' }) });
    assert.throws(() => renderConfigurationReference(schema), /NESTED: .*cannot describe/);
  });
});
