import assert from 'node:assert/strict';
import { RequestMethod, Type } from '@nestjs/common';
import { INTERCEPTORS_METADATA, METHOD_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer } from '@nestjs/core';
import { after, before, describe, it } from 'node:test';
import { IdempotencyInterceptor } from '../../src/idempotency/idempotency.interceptor.js';
import { startTestApp, TestApp } from '../support/test-app.js';

/**
 * Idempotency-Key is honoured by an interceptor on each POST handler (global, it would cost every
 * GET as well), so a POST added without it would quietly lose the guarantee.
 */
describe('Idempotency-Key on every POST', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('every POST handler of every controller carries the idempotency interceptor', () => {
    const posts: string[] = [];
    const missing: string[] = [];
    for (const module of t.app.get(ModulesContainer).values()) {
      for (const { metatype } of module.controllers.values()) {
        const controller = metatype as Type;
        for (const name of Object.getOwnPropertyNames(controller.prototype)) {
          const handler: unknown = controller.prototype[name];
          if (typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) !== RequestMethod.POST) continue;
          posts.push(`${controller.name}.${name}`);
          const interceptors: unknown[] = [
            ...(Reflect.getMetadata(INTERCEPTORS_METADATA, controller) ?? []),
            ...(Reflect.getMetadata(INTERCEPTORS_METADATA, handler) ?? []),
          ];
          if (!interceptors.includes(IdempotencyInterceptor)) missing.push(`${controller.name}.${name}`);
        }
      }
    }
    assert.ok(posts.includes('StatusController.createMentorStatus'), `the POST handlers were found: ${posts.join(', ')}`);
    assert.deepEqual(missing, []);
  });
});
