import assert from 'node:assert/strict';

/** One metric family of Prometheus's text exposition format: its TYPE, HELP and samples. */
export interface MetricFamily {
  name: string;
  type: string;
  help: string;
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/y;
const SAMPLE_SUFFIXES = ['_bucket', '_count', '_sum', '_total', '_created'];

function unescape(value: string): string {
  return value.replace(/\\(.)/g, (_all, char: string) => (char === 'n' ? '\n' : char));
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  let match: RegExpExecArray | null;
  while (LABEL.lastIndex < text.length && (match = LABEL.exec(text)) !== null) labels[match[1]] = unescape(match[2]);
  if (LABEL.lastIndex !== text.length) throw new Error(`malformed labels in: ${line}`);
  return labels;
}

/**
 * Parses the text format (version 0.0.4) strictly enough for tests: every line must be a HELP,
 * a TYPE or a sample of a family declared above it, or the parse fails naming the line.
 */
export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const family = (name: string) => {
    let found = families.get(name);
    if (!found) families.set(name, (found = { name, type: 'untyped', help: '', samples: [] }));
    return found;
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const comment = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (comment) {
      if (comment[1] === 'HELP') family(comment[2]).help = comment[3];
      else family(comment[2]).type = comment[3];
      continue;
    }
    if (line.startsWith('#')) continue;
    const sample = SAMPLE.exec(line);
    if (!sample) throw new Error(`not a sample line: ${line}`);
    const [, name, labels, value] = sample;
    const owner = families.has(name)
      ? name
      : SAMPLE_SUFFIXES.filter((suffix) => name.endsWith(suffix))
          .map((suffix) => name.slice(0, -suffix.length))
          .find((base) => families.has(base));
    if (!owner) throw new Error(`a sample of no declared family: ${line}`);
    // Prometheus reads numbers as Go's ParseFloat does: NaN and Inf in any case (prom-client writes `Nan`).
    const parsed = /^nan$/i.test(value) ? NaN : /^\+?inf$/i.test(value) ? Infinity : /^-inf$/i.test(value) ? -Infinity : Number(value);
    if (Number.isNaN(parsed) && !/^nan$/i.test(value)) throw new Error(`not a number: ${line}`);
    family(owner).samples.push({ name, labels: labels ? parseLabels(labels, line) : {}, value: parsed });
  }
  return families;
}

/** The one sample of a family whose labels include these; fails when there is none or several. */
export function sample(family: MetricFamily | undefined, name: string, labels: Record<string, string> = {}): number {
  assert.ok(family, `the ${name} family is scraped`);
  const found = family.samples.filter(
    (candidate) => candidate.name === name && Object.entries(labels).every(([key, value]) => candidate.labels[key] === value),
  );
  assert.equal(found.length, 1, `one ${name} sample with ${JSON.stringify(labels)}: ${JSON.stringify(family.samples.filter((s) => s.name === name))}`);
  return found[0].value;
}

/** A counter's sample with these labels, 0 while it has none (a labelled counter shows a series once it first counts). */
export function counted(families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): number {
  const family = families.get(name);
  assert.ok(family, `the ${name} family is scraped`);
  const found = family.samples.filter(
    (candidate) => candidate.name === name && Object.entries(labels).every(([key, value]) => candidate.labels[key] === value),
  );
  assert.ok(found.length <= 1, `at most one ${name} sample with ${JSON.stringify(labels)}`);
  return found[0]?.value ?? 0;
}

/** GET `url` from a metrics listener: a 200 in the text format, parsed. */
export async function scrape(url: string): Promise<Map<string, MetricFamily>> {
  const response = await fetch(url);
  assert.equal(response.status, 200);
  assert.match(String(response.headers.get('content-type')), /^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await response.text());
}
