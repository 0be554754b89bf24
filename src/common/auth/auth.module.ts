import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { WriteAuthGuard } from './write-auth.guard.js';

/** Guards every write of every controller, including those added later. */
@Module({ providers: [{ provide: APP_GUARD, useClass: WriteAuthGuard }] })
export class AuthModule {}
