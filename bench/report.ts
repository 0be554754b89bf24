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

export function comparisonTable(rows: ComparedEndpoint[], subject: string, reference: string): string {
  return markdownTable(
    [
      'endpoint',
      `${subject} req/s`,
      `${subject} p50 ms`,
      `${subject} p99 ms`,
      `${subject} errors`,
      `${reference} req/s`,
      `${reference} p50 ms`,
      `${reference} p99 ms`,
      `${reference} errors`,
      'throughput ratio',
      'p99 ratio',
      `CPU µs/req ${subject} / ${reference}`,
    ],
    rows.map((row) => [
      `\`${row.name}\``,
      row.subject.requestsPerSecond,
      formatMs(row.subject.p50Ms),
      formatMs(row.subject.p99Ms),
      row.subject.errors,
      row.reference.requestsPerSecond,
      formatMs(row.reference.p50Ms),
      formatMs(row.reference.p99Ms),
      row.reference.errors,
      formatRatio(row.throughputRatio),
      formatRatio(row.p99Ratio),
      `${row.subject.cpuMicrosPerRequest} / ${row.reference.cpuMicrosPerRequest}`,
    ]),
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
