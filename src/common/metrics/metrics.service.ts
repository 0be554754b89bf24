import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, CounterConfiguration, Gauge, GaugeConfiguration, Histogram, HistogramConfiguration, Registry } from 'prom-client';
import { AppConfig } from '../config/app-config.js';

/** Latencies of requests and queries, in seconds: 1 ms to 10 s. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type Without<T> = Omit<T, 'registers'>;

/**
 * The app's Prometheus metrics. Each app has a registry of its own rather than prom-client's global
 * one, so that two apps in one process (the tests start several) never share or clash over a metric.
 * A module registers its metrics here once, in its constructor, and updates them as it works;
 * `GET /metrics` on the metrics listener (METRICS_PORT, see MetricsServer) reads them all.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  /** False when METRICS_PORT is 0: nothing reads the metrics, so per-request measuring is skipped. */
  readonly enabled: boolean;

  constructor(config: AppConfig) {
    this.enabled = config.metricsPort > 0;
    if (this.enabled) collectDefaultMetrics({ register: this.registry });
  }

  counter<Label extends string = never>(config: Without<CounterConfiguration<Label>>): Counter<Label> {
    return new Counter({ ...config, registers: [this.registry] });
  }

  /** With `collect`, the value is read when the metrics are scraped, at no cost in between. */
  gauge<Label extends string = never>(config: Without<GaugeConfiguration<Label>>): Gauge<Label> {
    return new Gauge({ ...config, registers: [this.registry] });
  }

  histogram<Label extends string = never>(config: Without<HistogramConfiguration<Label>>): Histogram<Label> {
    return new Histogram({ ...config, registers: [this.registry] });
  }

  /**
   * For gauges that share one read (one query for several values): the function returned runs
   * `read` once for every caller while it runs, so that a scrape, which collects every gauge at
   * once, reads once.
   */
  shared<T>(read: () => Promise<T>): () => Promise<T> {
    let running: Promise<T> | undefined;
    return () =>
      (running ??= read().finally(() => {
        running = undefined;
      }));
  }

  /** Every metric in Prometheus's text format, as `contentType`. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
