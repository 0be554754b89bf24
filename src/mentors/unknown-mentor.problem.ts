import { ProblemException } from '../common/errors/problem.exception.js';

/** 422: a body names a mentor that has no profile. */
export class UnknownMentorProblem extends ProblemException {
  constructor(mentorId: string) {
    const message = `mentor_id '${mentorId}' has no mentor profile; create it with PUT /api/v1/mentors/${mentorId} first`;
    super(422, message, { type: '/problems/unknown-mentor', errors: [{ field: 'mentor_id', message }] });
  }
}
