import { Injectable, NotFoundException } from '@nestjs/common';
import { ProblemException } from '../common/errors/problem.exception.js';
import { FOREIGN_KEY_VIOLATION, postgresError } from '../common/errors/postgres-error.js';
import { assertIfMatch } from '../common/http/etag.js';
import { type Queryable, Sql } from '../database/sql.js';
import { ListOrder, pageOf, pageRequest, patternKey } from '../common/pagination/page.js';
import { REASON_CODE_PATTERN } from '../common/validation/property.decorators.js';
import { ListReasonCodesQueryDto } from './dto/list-reason-codes.query.js';
import { PutReasonCodeDto } from './dto/put-reason-code.dto.js';
import { ReasonCodeDto, ReasonCodeListDto, ReasonCodeUse } from './dto/reason-code.dto.js';
import { ReasonCodeRow, ReasonCodesRepository } from './reason-codes.repository.js';
import { CERTIFICATION_EXPIRED_REASON_CODE } from './reserved-reason-codes.js';
import { PAUSE_REASON_CODE_FOREIGN_KEY } from './unknown-reason-code.problem.js';

const LIST_ORDER: ListOrder = { list: 'reason-codes', keys: [patternKey('code', REASON_CODE_PATTERN)] };

function toDto(row: ReasonCodeRow): ReasonCodeDto {
  const appliesTo: ReasonCodeUse[] = [];
  if (row.applies_to_pauses) appliesTo.push('pause');
  if (row.applies_to_suppressions) appliesTo.push('suppression');
  return {
    code: row.code,
    applies_to: appliesTo,
    label: row.label,
    description: row.description,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** 409: a change that would leave a pause code in use no longer applying to pauses. */
function inUse(code: string, because: string): ProblemException {
  const message = `applies_to must include pause: ${because}`;
  return new ProblemException(409, `Reason code '${code}' must keep applying to pauses: ${because}.`, {
    type: '/problems/reason-code-in-use',
    errors: [{ field: 'applies_to', message }],
  });
}

/** The registry of pause and suppression reason codes. */
@Injectable()
export class ReasonCodesService {
  constructor(
    private readonly sql: Sql,
    private readonly codes: ReasonCodesRepository,
  ) {}

  /** The codes among these that pause records may carry, held so until the caller's transaction ends. */
  async registeredPauseCodes(tx: Queryable, codes: readonly string[]): Promise<Set<string>> {
    return new Set(await this.codes.pauseCodesAmong(tx, codes));
  }

  async get(code: string): Promise<ReasonCodeDto> {
    const row = await this.codes.find(this.sql.replica, code);
    if (!row) throw new NotFoundException(`No reason code '${code}'.`);
    return toDto(row);
  }

  async list(query: ListReasonCodesQueryDto): Promise<ReasonCodeListDto> {
    const request = pageRequest(query, LIST_ORDER, { applies_to: query.applies_to });
    const { rows, counted } = await this.codes.list(this.sql.replica, query.applies_to, request);
    const page = pageOf(request, rows, counted, (row) => [row.code]);
    return { data: page.rows.map(toDto), pagination: page.pagination };
  }

  /**
   * Creates or replaces a code. A code that status records carry keeps applying to pauses: the
   * database's foreign key refuses the change, and the answer is 409; so does the code the
   * certification sweep pauses with, carried or not yet.
   */
  async put(code: string, body: PutReasonCodeDto, ifMatch?: string): Promise<{ reasonCode: ReasonCodeDto; created: boolean }> {
    if (code === CERTIFICATION_EXPIRED_REASON_CODE && !body.applies_to.includes('pause')) throw inUse(code, 'the certification sweep pauses with it');
    try {
      return await this.sql.tx(async (tx) => {
        if (ifMatch !== undefined) {
          const current = await this.codes.find(tx, code, { lock: true });
          assertIfMatch(ifMatch, current ? toDto(current) : undefined);
        }
        const row = await this.codes.upsert(tx, code, {
          appliesToPauses: body.applies_to.includes('pause'),
          appliesToSuppressions: body.applies_to.includes('suppression'),
          label: body.label,
          description: body.description,
        });
        return { reasonCode: toDto(row), created: row.created };
      });
    } catch (error) {
      const failed = postgresError(error);
      if (failed?.code === FOREIGN_KEY_VIOLATION && failed.constraint === PAUSE_REASON_CODE_FOREIGN_KEY) throw inUse(code, 'pause records carry it');
      throw error;
    }
  }
}
