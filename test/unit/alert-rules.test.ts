import assert from 'node:assert/strict';
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { prometheusBinary } from '../../tools/prometheus.js';
import {
  ALERT_RULES_FILE,
  ALERT_TESTS_FILE,
  alertRules,
  alertRulesWithShorterFor,
  dashboard,
  dashboardExpressions,
  durationMs,
} from '../support/operator-kit.js';
import { repoRoot, runCommand } from '../support/repository.js';

interface RuleTests {
  tests: { name: string; alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}

const promtool = (...args: string[]) => runCommand(prometheusBinary('promtool'), args, {}, dirname(ALERT_RULES_FILE));

describe('the alert rules (ops/prometheus/alerts.yml)', () => {
  it('pass `promtool check rules`', async () => {
    const rules = await alertRules();
    const result = await promtool('check', 'rules', ALERT_RULES_FILE);
    assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
    assert.match(result.stdout, new RegExp(`SUCCESS: ${rules.length} rules found`));
  });

  it('pass their unit tests, `promtool test rules alerts.test.yml`', async () => {
    const result = await promtool('test', 'rules', ALERT_TESTS_FILE);
    assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
    assert.match(result.stdout, /SUCCESS/);
  });

  it('each have a test in which they fire, a `for:`, a severity, a summary and a description', async () => {
    const tests = parse(await readFile(ALERT_TESTS_FILE, 'utf8')) as RuleTests;
    const firing = new Set(
      tests.tests.flatMap((test) => (test.alert_rule_test ?? []).filter((check) => check.exp_alerts.length > 0).map((check) => check.alertname)),
    );
    const rules = await alertRules();
    assert.ok(rules.length > 0);
    for (const rule of rules) {
      assert.ok(firing.has(rule.alert), `${rule.alert}: no test in alerts.test.yml expects it to fire`);
      assert.ok(rule.for && durationMs(rule.for) > 0, `${rule.alert}: a for: duration, so that one bad scrape pages no one`);
      assert.ok(['critical', 'warning'].includes(rule.labels?.severity ?? ''), `${rule.alert}: severity critical or warning`);
      assert.ok(rule.annotations?.summary && rule.annotations.description, `${rule.alert}: summary and description`);
    }
    assert.equal(new Set(rules.map((rule) => rule.alert)).size, rules.length, 'alert names are unique');
  });

  it('give a variant with shorter for: durations for the system test, the same rules otherwise, that promtool accepts', async () => {
    const rules = await alertRules();
    const faster = parse(await alertRulesWithShorterFor(60)) as { groups: { rules: typeof rules }[] };
    const fasterRules = faster.groups.flatMap((group) => group.rules);
    assert.deepEqual(
      fasterRules.map(({ for: _for, ...rule }) => rule),
      rules.map(({ for: _for, ...rule }) => rule),
    );
    for (const [index, rule] of rules.entries()) {
      const expected = Math.max(1000, Math.ceil(durationMs(rule.for!) / 60 / 1000) * 1000);
      assert.equal(durationMs(fasterRules[index].for!), expected, `${rule.alert}: ${rule.for} → ${fasterRules[index].for}`);
    }
    const dir = await mkdtemp(join(tmpdir(), 'mss-rules-'));
    try {
      await writeFile(join(dir, 'alerts.yml'), await alertRulesWithShorterFor(60));
      const result = await promtool('check', 'rules', join(dir, 'alerts.yml'));
      assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the routes the alert rules and the dashboard leave out', () => {
  it('each name a route of the API (openapi.json), so that renaming one cannot quietly bring it back', async () => {
    const openapi = JSON.parse(await readFile(join(repoRoot, 'openapi.json'), 'utf8')) as { paths: Record<string, unknown> };
    // Fastify's templates, as the route label has them: `:id` where OpenAPI writes `{id}`.
    const routes = Object.keys(openapi.paths).map((path) => path.replace(/\{(\w+)\}/g, ':$1'));
    const expressions = [...(await alertRules()).map((rule) => rule.expr), ...dashboardExpressions(await dashboard()).map(({ expr }) => expr)];
    const patterns = new Set(expressions.flatMap((expr) => [...expr.matchAll(/route!~"([^"]*)"/g)].flatMap((match) => match[1].split('|'))));
    assert.ok(patterns.size > 0);
    for (const pattern of patterns) {
      const matcher = new RegExp(`^(?:${pattern})$`);
      assert.ok(
        routes.some((route) => matcher.test(route)),
        `route!~ alternative ${pattern} matches no route: ${routes.join(', ')}`,
      );
    }
  });
});
