import { ProblemException } from '../common/errors/problem.exception.js';

/** Exports are long, so a refused one is told to come back after a while rather than at once. */
export const EXPORT_RETRY_AFTER_SECONDS = 10;

/** 503: this instance streams EXPORT_MAX_CONCURRENT exports already. */
export class TooManyExportsProblem extends ProblemException {
  constructor(limit: number) {
    super(503, `This instance is already streaming ${limit} export${limit === 1 ? '' : 's'} (EXPORT_MAX_CONCURRENT); try again later.`, {
      type: '/problems/too-many-exports',
      retryAfterSeconds: EXPORT_RETRY_AFTER_SECONDS,
      routine: true,
    });
  }
}
