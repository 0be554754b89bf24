import { cpus, release, totalmem } from 'node:os';
import type { MeasuredFigures } from './load.js';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
  postgres: string;
}

export function describeMachine(postgres: string): Machine {
  const processors = cpus();
  return {
    cpu: processors[0]?.model.trim() ?? 'unknown',
    cores: processors.length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    os: `${process.platform} ${release()}`,
    node: process.version,
    postgres,
  };
}

export const machineLine = (machine: Machine) =>
  `${machine.cores} × ${machine.cpu}, ${machine.memoryGb} GB RAM, ${machine.os}, Node ${machine.node}, ${machine.postgres}`;

export interface TargetCheck {
  target: string;
  met: boolean;
  measured: string;
}

export const formatMs = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(1));
export const formatRatio = (value: number) => `${value.toFixed(2)}×`;

/** A Markdown table: the header row, then one row per entry. */
export function markdownTable(header: string[], rows: (string | number)[][]): string {
  const lines = [header, header.map(() => '---'), ...rows.map((row) => row.map(String))];
  return lines.map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

export interface ComparedEndpoint {
  name: string;
  subject: MeasuredFigures;
  reference: MeasuredFigures;
  /** Subject's throughput over the reference's. */
  throughputRatio: number;
  /** Subject's p99 over the reference's. */
  p99Ratio: number;
}

export function compareEndpoint(name: string, subject: MeasuredFigures, reference: MeasuredFigures): ComparedEndpoint {
  return {
    name,
    subject,
    reference,
    throughputRatio: subject.requestsPerSecond / reference.requestsPerSecond,
    p99Ratio: subject.p99Ms / Math.max(reference.p99Ms, 1),
  };
}

const share = (value: number) => `${Math.round(value * 100)} %`;

export function comparisonTable(rows: ComparedEndpoint[], subject: string, reference: string, generator = 'autocannon'): string {
  return markdownTable(
    [
      'endpoint',
      `${subject} req/s`,
      `${reference} req/s`,
      'throughput ratio',
      `${subject} p50 / p99 ms`,
      `${reference} p50 / p99 ms`,
      'p99 ratio',
      `errors ${subject} / ${reference}`,
      `${generator} CPU, share of a core (${subject} / ${reference} runs)`,
      `CPU µs/req ${subject} / ${reference}`,
      `${subject} peak RSS MB`,
    ],
    rows.map((row) => [
      `\`${row.name}\``,
      row.subject.requestsPerSecond,
      row.reference.requestsPerSecond,
      formatRatio(row.throughputRatio),
      `${formatMs(row.subject.p50Ms)} / ${formatMs(row.subject.p99Ms)}`,
      `${formatMs(row.reference.p50Ms)} / ${formatMs(row.reference.p99Ms)}`,
      formatRatio(row.p99Ratio),
      `${row.subject.errors} / ${row.reference.errors}`,
      `${share(row.subject.generatorCpuShare)} / ${share(row.reference.generatorCpuShare)}`,
      `${row.subject.cpuMicrosPerRequest} / ${row.reference.cpuMicrosPerRequest}`,
      row.subject.peakRssMb,
    ]),
  );
}

/** Each round's subject ÷ reference throughput: their spread is the run's noise. */
export function roundRatios(row: ComparedEndpoint): number[] {
  return row.subject.runs.map((run, index) => run.requestsPerSecond / row.reference.runs[index].requestsPerSecond);
}

const range = (values: number[]) => `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`;

/**
 * The same endpoints measured by each generator in turn: their throughput ratios, with the range of
 * the rounds' ratios; two generators agree within noise where those ranges overlap.
 */
export function generatorsTable(byGenerator: Map<string, ComparedEndpoint[]>): string {
  const generators = [...byGenerator.keys()];
  const [first] = [...byGenerator.values()];
  return markdownTable(
    [
      'endpoint',
      ...generators.map((generator) => `${generator}: throughput ratio (rounds)`),
      ...generators.map((generator) => `${generator}: p99 ratio`),
      ...generators.map((generator) => `${generator}: app req/s (CPU share)`),
      'ranges overlap',
    ],
    first.map((_, index) => {
      const rows = generators.map((generator) => byGenerator.get(generator)![index]);
      const ranges = rows.map(roundRatios);
      const overlap = Math.max(...ranges.map((ratios) => Math.min(...ratios))) <= Math.min(...ranges.map((ratios) => Math.max(...ratios)));
      return [
        `\`${rows[0].name}\``,
        ...rows.map((row, at) => `${formatRatio(row.throughputRatio)} (${range(ranges[at])})`),
        ...rows.map((row) => formatRatio(row.p99Ratio)),
        ...rows.map((row) => `${row.subject.requestsPerSecond} (${share(row.subject.generatorCpuShare)})`),
        overlap ? 'yes' : '**no**',
      ];
    }),
  );
}

export interface ScaledEndpoint {
  name: string;
  small: MeasuredFigures;
  large: MeasuredFigures;
  p50Ratio: number;
}

export function scalingTable(rows: ScaledEndpoint[], smallLabel: string, largeLabel: string): string {
  return markdownTable(
    ['endpoint', `req/s at ${smallLabel}`, `p50 ms at ${smallLabel}`, `req/s at ${largeLabel}`, `p50 ms at ${largeLabel}`, 'p50 ratio', 'errors'],
    rows.map((row) => [
      `\`${row.name}\``,
      row.small.requestsPerSecond,
      formatMs(row.small.p50Ms),
      row.large.requestsPerSecond,
      formatMs(row.large.p50Ms),
      formatRatio(row.p50Ratio),
      row.small.errors + row.large.errors,
    ]),
  );
}

export function targetsTable(checks: TargetCheck[]): string {
  return markdownTable(
    ['target', 'measured', 'met'],
    checks.map((check) => [check.target, check.measured, check.met ? 'yes' : '**no**']),
  );
}
