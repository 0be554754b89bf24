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

export function targetsTable(checks: TargetCheck[]): string {
  return markdownTable(
    ['target', 'measured', 'met'],
    checks.map((check) => [check.target, check.measured, check.met ? 'yes' : '**no**']),
  );
}
