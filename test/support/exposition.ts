import assert from 'node:assert/strict';
import type { HttpServer } from '../../src/http/server.ts';
import { request } from './test-app.ts';

export interface Sample {
  name: string;
  labels: Readonly<Record<string, string>>;
  value: number;
}

export interface Exposition {
  samples: readonly Sample[];
  /** metric family → its TYPE */
  types: ReadonlyMap<string, string>;
  /** The value of the sample with exactly these labels; 0 when there is none (a counter not yet counted). */
  value(name: string, labels?: Record<string, string>): number;
  /** Every value `label` takes among the samples of `name`. */
  labelValues(name: string, label: string): Set<string>;
}

const metricName = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const helpLine = new RegExp(`^# HELP (${metricName}) (.*)$`);
const typeLine = new RegExp(`^# TYPE (${metricName}) (counter|gauge|histogram|summary|untyped)$`);
const sampleLine = new RegExp(`^(${metricName})(?:\\{(.*)\\})? (\\S+)$`);
const labelPair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"(?:,|$)/y;
const suffixes: Readonly<Record<string, readonly string[]>> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

/**
 * Reads the Prometheus text format (0.0.4) strictly: every line is a HELP, a TYPE, a sample of a family
 * whose TYPE came before, or blank; anything else fails the test.
 */
export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    const where = `line ${index + 1}: ${line}`;
    if (line === '' || helpLine.test(line)) continue;
    const type = typeLine.exec(line);
    if (type !== null) {
      assert.ok(!types.has(type[1] ?? ''), `a second TYPE, ${where}`);
      types.set(type[1] ?? '', type[2] ?? '');
      continue;
    }
    const sample = sampleLine.exec(line);
    assert.ok(sample !== null, `not a sample, ${where}`);
    const [, name = '', labelText = '', valueText = ''] = sample;
    assert.ok(familyOf(name, types) !== undefined, `a sample before its TYPE, ${where}`);
    const value = parseValue(valueText);
    assert.ok(value !== undefined, `not a number, ${where}`);
    samples.push({ name, labels: parseLabels(labelText, where), value });
  }
  return {
    samples,
    types,
    value(name, labels = {}) {
      const found = samples.find((sample) => sample.name === name && sameLabels(sample.labels, labels));
      return found?.value ?? 0;
    },
    labelValues(name, label) {
      return new Set(
        samples.flatMap((sample) => {
          const value = sample.labels[label];
          return sample.name === name && value !== undefined ? [value] : [];
        }),
      );
    },
  };
}

// As Prometheus reads a value (Go's ParseFloat): NaN and Inf in any casing; prom-client writes `Nan` for an
// event-loop statistic that has no samples yet.
function parseValue(text: string): number | undefined {
  const special = { nan: NaN, '+inf': Infinity, inf: Infinity, '-inf': -Infinity }[text.toLowerCase()];
  if (special !== undefined) return special;
  const value = Number(text);
  return text.trim() === '' || Number.isNaN(value) ? undefined : value;
}

function familyOf(name: string, types: ReadonlyMap<string, string>): string | undefined {
  if (types.has(name)) return name;
  for (const [family, type] of types) {
    if ((suffixes[type] ?? []).some((suffix) => name === `${family}${suffix}`)) return family;
  }
  return undefined;
}

function parseLabels(text: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  labelPair.lastIndex = 0;
  while (labelPair.lastIndex < text.length) {
    const pair = labelPair.exec(text);
    assert.ok(pair !== null, `unreadable labels, ${where}`);
    labels[pair[1] ?? ''] = pair[2] ?? '';
  }
  return labels;
}

function sameLabels(actual: Readonly<Record<string, string>>, expected: Record<string, string>): boolean {
  const keys = Object.keys(expected);
  return Object.keys(actual).length === keys.length && keys.every((key) => actual[key] === expected[key]);
}

/** GET /metrics, which must answer 200, parsed. */
export async function scrape(app: HttpServer, headers: Record<string, string> = {}): Promise<Exposition> {
  const response = await request(app, 'GET', '/metrics', { headers });
  assert.equal(response.status, 200, response.text);
  return parseExposition(response.text);
}
