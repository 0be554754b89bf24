import { Module } from '@nestjs/common';
import { ReasonCodesController } from './reason-codes.controller.js';
import { ReasonCodesRepository } from './reason-codes.repository.js';
import { ReasonCodesService } from './reason-codes.service.js';

/** The registry of pause and suppression reason codes. */
@Module({
  controllers: [ReasonCodesController],
  providers: [ReasonCodesRepository, ReasonCodesService],
  exports: [ReasonCodesService],
})
export class ReasonCodesModule {}
