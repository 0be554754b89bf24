import { Injectable, Logger, OnModuleDestroy, StreamableFile } from '@nestjs/common';
import { pipeline, Readable } from 'node:stream';
import { Clock } from '../common/clock/clock.js';
import { AppConfig } from '../common/config/app-config.js';
import { ShuttingDownProblem } from '../common/http/shutdown-gate.js';
import type { MentorStatusRecordDto } from '../status/dto/mentor-status-record.dto.js';
import { StatusService } from '../status/status.service.js';
import type { MentorSuppressionDto } from '../suppression/dto/mentor-suppression.dto.js';
import { SuppressionService } from '../suppression/suppression.service.js';
import { ExportFormat, ExportMentorStatusesQueryDto, ExportMentorSuppressionsQueryDto } from './dto/export-query.dto.js';
import { columnsOf, CONTENT_TYPES, writerFor } from './export-formats.js';
import { TooManyExportsProblem } from './too-many-exports.problem.js';

const STATUS_COLUMNS = columnsOf<MentorStatusRecordDto>()([
  'mentor_status_id',
  'mentor_id',
  'status',
  'reason',
  'reason_code',
  'resume_at',
  'changed_at',
  'changed_by',
  'recorded_by',
]);
const SUPPRESSION_COLUMNS = columnsOf<MentorSuppressionDto>()([
  'suppression_id',
  'mentor_id',
  'coordinator_id',
  'reason',
  'suppressed_at',
  'restored_at',
  'is_active',
  'restore_reason',
  'recorded_by',
]);

/** Why the service ended an export before its last row; the client sees the answer end unfinished. */
class ExportCut extends Error {
  override readonly name = 'ExportCut';
}

/**
 * The lists as files: every item a list would show for the same filters, in its order, streamed
 * as CSV or NDJSON from a cursor on the primary while the client reads. At most
 * EXPORT_MAX_CONCURRENT at a time per instance, each cut after EXPORT_TIMEOUT_SECONDS; a client
 * that goes away ends its export and gives the connection back.
 */
@Injectable()
export class ExportsService implements OnModuleDestroy {
  private readonly logger = new Logger('Exports');
  /** Exports being opened or streamed: each holds a pool connection. */
  private active = 0;
  private readonly streaming = new Set<Readable>();
  private shuttingDown = false;

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly statuses: StatusService,
    private readonly suppressions: SuppressionService,
  ) {}

  mentorStatuses({ format, ...filters }: ExportMentorStatusesQueryDto): Promise<StreamableFile> {
    return this.export('mentor-statuses', format, STATUS_COLUMNS, () => this.statuses.streamForExport(filters));
  }

  mentorSuppressions({ format, ...filters }: ExportMentorSuppressionsQueryDto): Promise<StreamableFile> {
    return this.export('mentor-suppressions', format, SUPPRESSION_COLUMNS, () => this.suppressions.streamForExport(filters));
  }

  /**
   * From the start of the shutdown on, new exports are refused; those running have the first half
   * of SHUTDOWN_GRACE_MS to finish and are cut then, so that the rest of the shutdown (the server,
   * the pool) still fits in the grace period.
   */
  onModuleDestroy(): void {
    this.shuttingDown = true;
    // Exports still being opened count: they are streaming by the time the timer fires.
    if (this.active === 0) return;
    setTimeout(() => {
      for (const output of this.streaming) this.cut(output, 'the service is shutting down (SHUTDOWN_GRACE_MS)');
    }, this.config.shutdownGraceMs / 2).unref();
  }

  private async export<Item>(
    name: string,
    format: ExportFormat,
    columns: readonly string[],
    open: () => Promise<AsyncIterable<Item[]>>,
  ): Promise<StreamableFile> {
    if (this.shuttingDown) throw new ShuttingDownProblem();
    if (this.active >= this.config.exportMaxConcurrent) throw new TooManyExportsProblem(this.config.exportMaxConcurrent);
    this.active += 1;
    let batches: AsyncIterable<Item[]>;
    try {
      batches = await open();
    } catch (error) {
      this.active -= 1;
      throw error;
    }
    // The source's 'close' comes once its cursor has ended the transaction and given the connection back.
    const source = Readable.from(batches, { objectMode: true, highWaterMark: 1 });
    source.once('close', () => (this.active -= 1));
    const writers = writerFor(format, columns);
    const output = writers[writers.length - 1];
    this.streaming.add(output);
    const deadline = setTimeout(
      () => this.cut(output, `it ran longer than EXPORT_TIMEOUT_SECONDS (${this.config.exportTimeoutSeconds})`),
      this.config.exportTimeoutSeconds * 1000,
    ).unref();
    output.once('close', () => {
      clearTimeout(deadline);
      this.streaming.delete(output);
    });
    pipeline([source, ...writers], (error) => {
      // A client that went away closes the answer early: routine, and Fastify's request log tells it.
      if (!error || error instanceof ExportCut || error.code === 'ERR_STREAM_PREMATURE_CLOSE') return;
      this.logger.error({ msg: `the ${name} export failed after it had started; the answer was cut`, err: error });
    });
    const date = this.clock.now().toISOString().slice(0, 10);
    return new StreamableFile(output, { type: CONTENT_TYPES[format], disposition: `attachment; filename="${name}-${date}.${format}"` });
  }

  private cut(output: Readable, reason: string): void {
    this.logger.warn(`an export was cut before its end: ${reason}`);
    output.destroy(new ExportCut(reason));
  }
}
