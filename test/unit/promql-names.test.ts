import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concreteExpression, durationMs } from '../support/operator-kit.js';
import { metricNames } from '../support/promql.js';

const names = (expression: string) => [...metricNames(expression)].sort();

describe('the metric names of a PromQL expression', () => {
  it('are the selectors, not the functions, aggregations, keywords, numbers or durations', () => {
    assert.deepEqual(names('up == 0'), ['up']);
    assert.deepEqual(names('histogram_quantile(0.99, sum by (job, le) (rate(a_bucket{job="x"}[5m]))) > 1e3'), ['a_bucket']);
    assert.deepEqual(names('sum(rate(a_total[5m] offset 1h)) by (instance) / on (instance) group_left(pool) b unless bool c'), ['a_total', 'b', 'c']);
    assert.deepEqual(names('x != x and on (job) sum by (job) (increase(y_count[5m])) > 0 or vector(0) + Inf'), ['x', 'y_count']);
    assert.deepEqual(names('max_over_time(z:recorded[1h:5m]) - time()'), ['z:recorded']);
  });

  it('are not found in strings or label matchers', () => {
    assert.deepEqual(names('label_replace(a, "dst", "$1", "src", "(not_a_metric)")'), ['a']);
    assert.deepEqual(names('a{route!~"/health.*|up", le="+Inf"} and b{x=\'c\'}'), ['a', 'b']);
  });
});

describe("a dashboard query with Grafana's variables", () => {
  it('gets concrete values, and an unknown variable is an error', () => {
    assert.equal(
      concreteExpression('rate(a{job="$job", instance=~"$instance"}[$__rate_interval])'),
      'rate(a{job="mentor-status-service", instance=~".*"}[1m])',
    );
    assert.throws(() => concreteExpression('rate(a[$__rate_interva])'), /unknown variable \$__rate_interva/);
  });
});

describe('a Prometheus duration', () => {
  it('is read in milliseconds, and anything else is refused', () => {
    assert.equal(durationMs('90s'), 90_000);
    assert.equal(durationMs('1h30m'), 5_400_000);
    assert.equal(durationMs('250ms'), 250);
    assert.throws(() => durationMs('5 minutes'), /not a Prometheus duration/);
  });
});
