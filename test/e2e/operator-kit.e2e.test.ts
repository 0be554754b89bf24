import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { freePort } from '../../tools/free-port.js';
import { prometheusBinary } from '../../tools/prometheus.js';
import {
  alertRules,
  concreteExpression,
  type Dashboard,
  dashboard,
  dashboardExpressions,
  declaredSeriesNames,
  panelsOf,
  PROMETHEUS_MADE,
} from '../support/operator-kit.js';
import { scrape } from '../support/prometheus-text.js';
import { metricNames } from '../support/promql.js';
import { runCommand } from '../support/repository.js';
import { startTestApp, TestApp } from '../support/test-app.js';

/** Grafana's own variables. */
const GRAFANA_BUILT_INS = new Set(['__rate_interval', '__interval', '__range']);

describe('the operator kit against the metrics the service registers', () => {
  let t: TestApp;
  let declared: Set<string>;
  let board: Dashboard;

  before(async () => {
    const metricsPort = await freePort();
    // NATS_URL registers the JetStream metrics; nothing needs to answer there.
    t = await startTestApp({ METRICS_PORT: String(metricsPort), NATS_URL: `nats://127.0.0.1:${await freePort()}` });
    declared = declaredSeriesNames((await scrape(`http://127.0.0.1:${metricsPort}/metrics`)).values());
    board = await dashboard();
  });
  after(() => t.close());

  const unknown = (expr: string) => [...metricNames(expr)].filter((name) => !declared.has(name) && !PROMETHEUS_MADE.has(name));

  it('every alert rule reads metrics the service registers (or up)', async () => {
    for (const rule of await alertRules()) {
      assert.ok(metricNames(rule.expr).size > 0, `${rule.alert} reads some metric`);
      assert.deepEqual(unknown(rule.expr), [], `${rule.alert} reads metrics the service does not register`);
    }
  });

  it('every dashboard query reads metrics the service registers (or up)', () => {
    const expressions = dashboardExpressions(board);
    assert.ok(expressions.length > 10);
    for (const { where, expr } of expressions) {
      assert.ok(metricNames(expr).size > 0, `${where} reads some metric`);
      assert.deepEqual(unknown(expr), [], `${where} reads metrics the service does not register`);
    }
  });

  it('every dashboard query is PromQL that promtool accepts, once its variables have values', async () => {
    const rules = dashboardExpressions(board).map(({ expr }, index) => ({ record: `dashboard:query_${index}`, expr: concreteExpression(expr) }));
    const dir = await mkdtemp(join(tmpdir(), 'mss-dashboard-'));
    try {
      await writeFile(join(dir, 'queries.yml'), stringify({ groups: [{ name: 'dashboard', rules }] }));
      const result = await runCommand(prometheusBinary('promtool'), ['check', 'rules', join(dir, 'queries.yml')]);
      assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the dashboard is well-formed: unique panel ids, every query on the chosen data source, variables it defines, panels inside 24 columns', () => {
    const variables = new Set(board.templating.list.map((variable) => variable.name));
    assert.ok(variables.has('datasource') && variables.has('job') && variables.has('instance'));
    const panels = panelsOf(board);
    assert.equal(new Set(panels.map((panel) => panel.id)).size, panels.length, 'panel ids are unique');
    for (const panel of panels) {
      assert.ok(panel.gridPos.x >= 0 && panel.gridPos.x + panel.gridPos.w <= 24, `panel "${panel.title}" fits in 24 columns`);
      if (panel.type === 'row') continue;
      assert.deepEqual(panel.datasource, { type: 'prometheus', uid: '${datasource}' }, `panel "${panel.title}" uses the data source variable`);
      const targets = panel.targets ?? [];
      assert.ok(targets.length > 0, `panel "${panel.title}" has queries`);
      assert.equal(new Set(targets.map((target) => target.refId)).size, targets.length, `panel "${panel.title}": unique refIds`);
      for (const target of targets) {
        for (const [, name] of target.expr.matchAll(/\$\{?(\w+)\}?/g)) {
          assert.ok(variables.has(name) || GRAFANA_BUILT_INS.has(name), `panel "${panel.title}" uses $${name}, which the dashboard does not define`);
        }
      }
    }
  });
});
