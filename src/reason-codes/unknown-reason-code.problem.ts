import { ProblemException } from '../common/errors/problem.exception.js';

/** The foreign key from pause records to the registry's pause codes (migration AddPauseReasonCodesAndResumeAt). */
export const PAUSE_REASON_CODE_FOREIGN_KEY = 'mentor_status_records_reason_code_fkey';

/** 422: a status record names a `reason_code` that the registry does not hold as a pause code. */
export class UnknownReasonCodeProblem extends ProblemException {
  constructor(code: string) {
    const message = `reason_code '${code}' is not a registered pause reason code; GET /api/v1/reason-codes?applies_to=pause lists them, PUT /api/v1/reason-codes/${code} adds it`;
    super(422, message, { type: '/problems/unknown-reason-code', errors: [{ field: 'reason_code', message }], extensions: { reason_code: code } });
  }
}
