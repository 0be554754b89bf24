import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { MetricFamily } from './prometheus-text.js';
import { repoRoot } from './repository.js';

/** The operator's kit: alert rules, their promtool tests, and the Grafana dashboard. */
export const ALERT_RULES_FILE = join(repoRoot, 'ops/prometheus/alerts.yml');
export const ALERT_TESTS_FILE = join(repoRoot, 'ops/prometheus/alerts.test.yml');
export const DASHBOARD_FILE = join(repoRoot, 'ops/grafana/dashboard.json');

/** The scrape job the rules select, and the dashboard's default. */
export const SCRAPE_JOB = 'mentor-status-service';

/** Series Prometheus makes for every target, which the rules may read besides the service's own. */
export const PROMETHEUS_MADE = new Set(['up']);

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface RuleFile {
  groups: { name: string; rules: AlertRule[] }[];
}

async function ruleFile(): Promise<RuleFile> {
  return parse(await readFile(ALERT_RULES_FILE, 'utf8')) as RuleFile;
}

export async function alertRules(): Promise<AlertRule[]> {
  return (await ruleFile()).groups.flatMap((group) => group.rules);
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/** A Prometheus duration (`90s`, `2m`, `1h30m`) in milliseconds. */
export function durationMs(text: string): number {
  const parts = [...text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text) throw new Error(`not a Prometheus duration: ${text}`);
  return parts.reduce((sum, [, count, unit]) => sum + Number(count) * UNIT_MS[unit], 0);
}

/**
 * The rule file with every `for:` divided by `divisor` (in whole seconds, at least 1 s): for a test
 * that fires the alerts for real without waiting out durations chosen for production. Generated from
 * the one file, so the test runs the rules operators load.
 */
export async function alertRulesWithShorterFor(divisor: number): Promise<string> {
  const file = await ruleFile();
  for (const rule of file.groups.flatMap((group) => group.rules)) {
    if (rule.for === undefined) continue;
    rule.for = `${Math.max(1, Math.ceil(durationMs(rule.for) / divisor / 1000))}s`;
  }
  return stringify(file);
}

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: { refId: string; expr: string; datasource?: { type: string; uid: string } }[];
  panels?: Panel[];
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: unknown; current?: { value?: unknown } }[] };
}

export async function dashboard(): Promise<Dashboard> {
  return JSON.parse(await readFile(DASHBOARD_FILE, 'utf8')) as Dashboard;
}

/** Every panel, those inside collapsed rows included. */
export function panelsOf(board: Dashboard): Panel[] {
  return board.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
}

/** Every PromQL expression of the dashboard: the panels' queries and the PromQL inside its `label_values(…)` variables. */
export function dashboardExpressions(board: Dashboard): { where: string; expr: string }[] {
  const panels = panelsOf(board).flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ where: `panel "${panel.title}" ${target.refId}`, expr: target.expr })),
  );
  const variables = board.templating.list
    .filter((variable) => variable.type === 'query')
    .map((variable) => {
      const query = typeof variable.query === 'string' ? variable.query : (variable.query as { query: string }).query;
      const inner = /^label_values\((.*),\s*\w+\)$/s.exec(query);
      if (!inner) throw new Error(`variable ${variable.name}: not a label_values(…) query: ${query}`);
      return { where: `variable ${variable.name}`, expr: inner[1] };
    });
  return [...panels, ...variables];
}

/** Grafana's variables in a dashboard query, replaced as Grafana would for one instance of the job over the last hour. */
const GRAFANA_VARIABLES: Record<string, string> = { job: SCRAPE_JOB, instance: '.*', __rate_interval: '1m', __interval: '15s', __range: '1h' };

export function concreteExpression(expr: string): string {
  return expr.replace(/\$\{?(\w+)\}?/g, (whole, name: string) => {
    const value = GRAFANA_VARIABLES[name];
    if (value === undefined) throw new Error(`unknown variable ${whole} in ${expr}`);
    return value;
  });
}

/** The series names of declared metric families (# TYPE): a histogram's `_bucket`, `_sum` and `_count`, a summary's quantiles, `_sum` and `_count`, others by their own name. */
export function declaredSeriesNames(families: Iterable<Pick<MetricFamily, 'name' | 'type'>>): Set<string> {
  const names = new Set<string>();
  for (const { name, type } of families) {
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    else if (type === 'summary') for (const suffix of ['', '_sum', '_count']) names.add(name + suffix);
    else names.add(name);
  }
  return names;
}
