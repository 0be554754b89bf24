import type { Principal } from '../common/auth/principal.js';
import { Injectable, Type } from '@nestjs/common';
import { httpProblem, ProblemBody } from '../common/errors/problem.js';
import { ProblemException, ValidationProblem } from '../common/errors/problem.exception.js';
import { validateBody } from '../common/validation/strict-validation.pipe.js';
import { Sql, type Tx } from '../database/sql.js';
import type { NewEvent } from '../events/event-types.js';
import { EventsService, MentorChange } from '../events/events.service.js';
import { CreateMentorStatusDto } from '../status/dto/create-mentor-status.dto.js';
import { StatusService } from '../status/status.service.js';
import { CreateMentorSuppressionDto } from '../suppression/dto/create-mentor-suppression.dto.js';
import { SuppressionService } from '../suppression/suppression.service.js';
import { BulkOptionsDto, MentorStatusBulkDto, MentorSuppressionBulkDto } from './dto/bulk-request.dto.js';
import { MentorStatusBulkResultDto, MentorSuppressionBulkResultDto } from './dto/bulk-result.dto.js';

/** Both single POSTs answer a write with 201. */
const WRITTEN = 201;

interface ItemResult<Result> {
  index: number;
  status: number;
  body?: Result;
  problem?: ProblemBody;
}

interface Outcome<Result> {
  dry_run: boolean;
  atomic: boolean;
  committed: boolean;
  results: ItemResult<Result>[];
}

/** The single POSTs' writes of items decided in order, as StatusService and SuppressionService give them. */
type WriteInOrder<Body, Result> = (tx: Tx, bodies: readonly Body[]) => Promise<(MentorChange<Result> | ProblemException)[]>;

async function validated<Body extends object>(type: Type<Body>, item: object): Promise<Body | ValidationProblem> {
  try {
    return await validateBody(type, item);
  } catch (error) {
    if (error instanceof ValidationProblem) return error;
    throw error;
  }
}

/**
 * Batches of the single POSTs: each item is validated as that POST's body and decided and written
 * by that POST's own code, which decides items in order and writes them together.
 */
@Injectable()
export class BulkService {
  constructor(
    private readonly sql: Sql,
    private readonly events: EventsService,
    private readonly statuses: StatusService,
    private readonly suppressions: SuppressionService,
  ) {}

  changeStatuses(batch: MentorStatusBulkDto, url: string, principal: Principal | undefined): Promise<MentorStatusBulkResultDto> {
    return this.apply(CreateMentorStatusDto, batch, url, (tx, bodies) => this.statuses.writeInOrder(tx, bodies, principal));
  }

  suppress(batch: MentorSuppressionBulkDto, url: string, principal: Principal | undefined): Promise<MentorSuppressionBulkResultDto> {
    return this.apply(CreateMentorSuppressionDto, batch, url, (tx, bodies) => this.suppressions.writeInOrder(tx, bodies, principal));
  }

  /**
   * One transaction for the whole batch, as one write: the locks of all of its mentors are taken
   * together (sorted, so batches and single POSTs queue rather than deadlock), eligibility is read
   * once before and once after, and each mentor's eligibility event follows from where the batch
   * left them. A batch that is not committed (a dry run, an atomic batch with a refusal) is rolled
   * back and records no events.
   */
  private async apply<Body extends { mentor_id: string }, Result>(
    type: Type<Body>,
    batch: BulkOptionsDto & { items: object[] },
    url: string,
    writeInOrder: WriteInOrder<Body, Result>,
  ): Promise<Outcome<Result>> {
    const dryRun = batch.dry_run ?? false;
    const atomic = batch.atomic ?? false;
    const items: (Body | ValidationProblem)[] = await Promise.all(batch.items.map((item) => validated(type, item)));
    const valid = items.filter((item): item is Body => !(item instanceof ValidationProblem));
    return this.sql.tx(async (tx) => {
      const locked = await this.events.lockMentors(
        tx,
        valid.map((body) => body.mentor_id),
      );
      const outcomes = (await writeInOrder(tx, valid)).values();
      const events: NewEvent[] = [];
      const results = items.map((item, index): ItemResult<Result> => {
        const outcome = item instanceof ValidationProblem ? item : outcomes.next().value!;
        if (outcome instanceof ProblemException) return { index, status: outcome.getStatus(), problem: httpProblem(outcome, url) };
        events.push(...outcome.events);
        return { index, status: WRITTEN, body: outcome.result };
      });
      const committed = !dryRun && !(atomic && results.some((result) => result.status !== WRITTEN));
      if (committed) await this.events.recordMentorChanges(tx, locked, events);
      else tx.rollbackAtEnd();
      return { dry_run: dryRun, atomic, committed, results };
    });
  }
}
