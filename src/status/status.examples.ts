import { encodeCursor, queryFingerprint } from '../common/pagination/cursor.js';
import { CreateMentorStatusDto } from './dto/create-mentor-status.dto.js';
import {
  CreatedMentorStatusDto,
  DeletedMentorStatusDto,
  MentorStatusDetailDto,
  MentorStatusListDto,
  UpdatedMentorStatusDto,
} from './dto/mentor-status-record.dto.js';
import { UpdateMentorStatusDto } from './dto/update-mentor-status.dto.js';

// The Mentor Status Repository contract's examples, written as the service answers: record ids
// are `msr_` and a ULID (the contract's `msr_A1B2C3D4` ends each one) and times carry milliseconds.

export const LIST_EXAMPLE: MentorStatusListDto = {
  data: [
    {
      mentor_status_id: 'msr_01KKBFJYM000000000A1B2C3D4',
      mentor_id: 'mntr_01HX4V2K8P',
      status: 'active',
      reason: null,
      reason_code: null,
      resume_at: null,
      changed_at: '2026-03-10T09:00:00.000Z',
      recorded_by: null,
      changed_by: 'user_coord_99XZ',
    },
    {
      mentor_status_id: 'msr_01KJP0YCHR00000000E5F6G7H8',
      mentor_id: 'mntr_02BY7M3RL',
      status: 'paused',
      reason: 'Certification expired',
      reason_code: 'certification_expired',
      resume_at: null,
      changed_at: '2026-03-02T01:00:03.000Z',
      recorded_by: null,
      changed_by: 'system_auto_pause',
    },
  ],
  // The contract's example shows two of 94 records; a real first page would hold 20, and its cursor leads on from the last.
  pagination: {
    page: 1,
    limit: 20,
    total: 94,
    total_exact: true,
    next_cursor: encodeCursor(queryFingerprint('mentor-statuses', {}), { skipped: 20, after: ['2026-03-02T01:00:03.000Z', 'msr_01KJP0YCHR00000000E5F6G7H8'] }),
  },
};

export const DETAIL_EXAMPLE: MentorStatusDetailDto = {
  mentor_status_id: 'msr_01KKBFJYM000000000A1B2C3D4',
  mentor_id: 'mntr_01HX4V2K8P',
  status: 'active',
  reason: null,
  reason_code: null,
  resume_at: null,
  changed_at: '2026-03-10T09:00:00.000Z',
  recorded_by: null,
  changed_by: 'user_coord_99XZ',
  previous_status: 'paused',
  created_at: '2026-03-10T09:00:00.000Z',
};

export const CREATE_EXAMPLE: CreateMentorStatusDto = {
  mentor_id: 'mntr_01HX4V2K8P',
  status: 'paused',
  reason: 'Personal leave',
  changed_by: 'user_coord_99XZ',
};

export const CREATED_EXAMPLE: CreatedMentorStatusDto = {
  mentor_status_id: 'msr_01KMMPSXH000000000Z9Y8X7W6',
  mentor_id: 'mntr_01HX4V2K8P',
  status: 'paused',
  reason: 'Personal leave',
  reason_code: null,
  resume_at: null,
  changed_by: 'user_coord_99XZ',
  changed_at: '2026-03-26T09:15:00.000Z',
  recorded_by: null,
  created_at: '2026-03-26T09:15:00.000Z',
};

export const UPDATE_EXAMPLE: UpdateMentorStatusDto = { reason: 'Personal leave — extended by 2 weeks' };

export const UPDATED_EXAMPLE: UpdatedMentorStatusDto = {
  mentor_status_id: 'msr_01KMMPSXH000000000Z9Y8X7W6',
  reason: 'Personal leave — extended by 2 weeks',
  reason_code: null,
  resume_at: null,
  updated_at: '2026-03-26T10:00:00.000Z',
};

export const DELETED_EXAMPLE: DeletedMentorStatusDto = {
  mentor_status_id: 'msr_01KMMPSXH000000000Z9Y8X7W6',
  deleted: true,
  deleted_at: '2026-03-26T11:00:00.000Z',
};
