import { CreateMentorSuppressionDto } from './dto/create-mentor-suppression.dto.js';
import { MentorSuppressionDeletedDto, MentorSuppressionDto, MentorSuppressionListDto } from './dto/mentor-suppression.dto.js';
import { UpdateMentorSuppressionDto } from './dto/update-mentor-suppression.dto.js';

// The Mentor Visibility Suppressor contract's examples, written as the service answers: times
// carry milliseconds, and a restored suppression shows the `restore_reason` it was given.

export const SUPPRESSION_EXAMPLE: MentorSuppressionDto = {
  suppression_id: 'c3d4e5f6-a7b8-4012-8def-123456789012',
  mentor_id: 'mentor_james_okafor',
  coordinator_id: 'coord_maya_patel',
  reason: 'certification_expired',
  suppressed_at: '2026-03-26T00:01:00.000Z',
  restored_at: null,
  is_active: true,
  recorded_by: null,
};

export const LIST_EXAMPLE: MentorSuppressionListDto = {
  data: [SUPPRESSION_EXAMPLE],
  pagination: { page: 1, limit: 20, total: 1, total_exact: true, next_cursor: null },
};

export const CREATE_EXAMPLE: CreateMentorSuppressionDto = {
  mentor_id: 'mentor_james_okafor',
  coordinator_id: 'coord_maya_patel',
  reason: 'certification_expired',
};

export const UPDATE_EXAMPLE: UpdateMentorSuppressionDto = {
  is_active: false,
  restored_at: '2026-04-16T09:00:00Z',
  restore_reason: 'certification_renewed',
};

export const RESTORED_EXAMPLE: MentorSuppressionDto = {
  ...SUPPRESSION_EXAMPLE,
  restored_at: '2026-04-16T09:00:00.000Z',
  is_active: false,
  restore_reason: 'certification_renewed',
};

export const DELETED_EXAMPLE: MentorSuppressionDeletedDto = { deleted: true, mentor_id: 'mentor_james_okafor' };
