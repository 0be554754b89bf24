import { MentorStatusBulkDto, MentorSuppressionBulkDto } from './dto/bulk-request.dto.js';
import { MentorStatusBulkResultDto, MentorSuppressionBulkResultDto } from './dto/bulk-result.dto.js';
import { CREATE_EXAMPLE, SUPPRESSION_EXAMPLE } from '../suppression/suppression.examples.js';

const BULK_STATUSES_PATH = '/api/v1/mentor-statuses/bulk';

export const STATUS_BULK_EXAMPLE: MentorStatusBulkDto = {
  items: [
    {
      mentor_id: 'mntr_01HX4V2K8P',
      status: 'paused',
      reason: 'Personal leave',
      reason_code: 'personal_leave',
      resume_at: '2026-05-04T00:00:00.000Z',
      changed_by: 'user_coord_99XZ',
    },
    { mentor_id: 'mntr_02BY7M3RL', status: 'paused', reason: 'Personal leave', changed_by: 'user_coord_99XZ' },
    { mentor_id: 'mntr_03QZ9N4TM', status: 'paused', changed_by: 'user_coord_99XZ' },
  ],
};

export const STATUS_BULK_RESULT_EXAMPLE: MentorStatusBulkResultDto = {
  dry_run: false,
  atomic: false,
  committed: true,
  results: [
    {
      index: 0,
      status: 201,
      body: {
        mentor_status_id: 'msr_01KMMPSXH000000000Z9Y8X7W6',
        mentor_id: 'mntr_01HX4V2K8P',
        status: 'paused',
        reason: 'Personal leave',
        reason_code: 'personal_leave',
        resume_at: '2026-05-04T00:00:00.000Z',
        changed_by: 'user_coord_99XZ',
        changed_at: '2026-03-26T09:15:00.000Z',
        recorded_by: null,
        created_at: '2026-03-26T09:15:00.000Z',
      },
    },
    {
      index: 1,
      status: 409,
      problem: {
        type: '/problems/no-op-transition',
        title: 'Conflict',
        status: 409,
        detail: "Mentor 'mntr_02BY7M3RL' is already paused (record msr_01KJP0YCHR00000000E5F6G7H8); a status change must change the status.",
        instance: BULK_STATUSES_PATH,
      },
    },
    {
      index: 2,
      status: 400,
      problem: {
        type: '/problems/validation-error',
        title: 'Bad Request',
        status: 400,
        detail: 'reason must be a string of 1 to 500 characters; it is required when status is paused',
        instance: BULK_STATUSES_PATH,
        errors: [{ field: 'reason', message: 'reason must be a string of 1 to 500 characters; it is required when status is paused' }],
      },
    },
  ],
};

export const SUPPRESSION_BULK_EXAMPLE: MentorSuppressionBulkDto = {
  items: [CREATE_EXAMPLE, { ...CREATE_EXAMPLE, mentor_id: 'mntr_unknown' }],
  atomic: true,
};

export const SUPPRESSION_BULK_RESULT_EXAMPLE: MentorSuppressionBulkResultDto = {
  dry_run: false,
  atomic: true,
  committed: false,
  results: [
    {
      index: 0,
      status: 201,
      body: SUPPRESSION_EXAMPLE,
    },
    {
      index: 1,
      status: 422,
      problem: {
        type: '/problems/unknown-mentor',
        title: 'Unprocessable Entity',
        status: 422,
        detail: "mentor_id 'mntr_unknown' has no mentor profile; create it with PUT /api/v1/mentors/mntr_unknown first",
        instance: '/api/v1/mentor-suppressions/bulk',
        errors: [{ field: 'mentor_id', message: "mentor_id 'mntr_unknown' has no mentor profile; create it with PUT /api/v1/mentors/mntr_unknown first" }],
      },
    },
  ],
};
