import { ProblemException } from '../common/errors/problem.exception.js';

/** 409: another sweep (of this instance or another one) holds the sweep lock. */
export class CertificationSweepRunningProblem extends ProblemException {
  constructor() {
    super(409, 'Another certification sweep is running; it applies the same rules. Try again once it has finished.', {
      type: '/problems/certification-sweep-running',
      retryAfterSeconds: 5,
    });
  }
}
