import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ReasonCode } from './reason-code.entity.js';
import { ReasonCodesController } from './reason-codes.controller.js';
import { ReasonCodesRepository } from './reason-codes.repository.js';
import { ReasonCodesService } from './reason-codes.service.js';

/** The registry of pause and suppression reason codes. */
@Module({
  imports: [TypeOrmModule.forFeature([ReasonCode])],
  controllers: [ReasonCodesController],
  providers: [ReasonCodesRepository, ReasonCodesService],
  exports: [ReasonCodesService],
})
export class ReasonCodesModule {}
