import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequiresScope } from '../common/auth/requires-scope.decorator.js';
import { Idempotent } from '../idempotency/idempotent.decorator.js';
import { ApiProblemResponses } from '../common/openapi/api-problem-responses.decorator.js';
import { CertificationSweepService } from './certification-sweep.service.js';
import { CertificationSweepReportDto } from './dto/certification-sweep-report.dto.js';

@ApiTags('certification')
@Controller('certification-sweeps')
export class CertificationSweepController {
  constructor(private readonly sweeps: CertificationSweepService) {}

  @Post()
  @RequiresScope('admin')
  @Idempotent({ keptAfterSending: true })
  @HttpCode(200)
  @ApiOperation({
    operationId: 'runCertificationSweep',
    summary: 'Apply certification expiry now',
    description: [
      'Runs the certification sweep that otherwise runs every `CERT_SWEEP_INTERVAL_SECONDS`, and answers with what it changed. No request body.',
      '',
      "A certification has **expired** when `certification_expires_at` is at or before the sweep's start (`started_at`). For each such mentor:",
      'if the current status is `active`, a `paused` record with reason "Certification expired" and `reason_code: certification_expired` by `system_auto_pause` is written; and if the mentor',
      'has no active suppression, one is made by coordinator `system` with reason `certification_expired`.',
      '',
      'A certification is **renewed** when `certification_expires_at` is later than that instant. For each such mentor, an active `certification_expired`',
      "suppression by `system` is restored with `restore_reason: certification_renewed`; and if the current status is the sweep's own pause",
      '(`paused` by `system_auto_pause`), an `active` record with reason "Certification renewed" by `system_auto_restore` is written. A pause or',
      'suppression made by anyone else is never undone. Mentors with no `certification_expires_at` are not touched.',
      '',
      'Idempotent: a repeated sweep changes nothing that the previous one settled. One sweep runs at a time across all instances; while another',
      'is running the answer is 409 (`type: /problems/certification-sweep-running`) and nothing is changed. The sweep is not stored: this answer is its only report.',
    ].join('\n'),
  })
  @ApiOkResponse({ type: CertificationSweepReportDto, description: 'The sweep ran; what it changed.' })
  @ApiProblemResponses(409)
  runCertificationSweep(): Promise<CertificationSweepReportDto> {
    return this.sweeps.sweep();
  }
}
