import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { API_SCOPES, ApiScope } from '../../src/common/auth/api-keys.js';
import { REQUIRED_SCOPE, REQUIRED_SCOPE_EXTENSION } from '../../src/common/auth/requires-scope.decorator.js';
import { documentWriteSafety } from '../../src/common/openapi/write-safety.openapi.js';
import { assertProblem } from '../support/problem.js';
import { startTestApp, TestApp } from '../support/test-app.js';

/** One key per scope, and one configured without scopes. */
const SCOPED_KEYS: Record<ApiScope, string> = {
  'statuses:write': 'scope-statuses-0123456789abcdef',
  'suppressions:write': 'scope-suppressions-0123456789ab',
  'mentors:write': 'scope-mentors-0123456789abcdef',
  admin: 'scope-admin-0123456789abcdef',
};
const UNSCOPED_KEY = 'unscoped-key-0123456789abcdef';
const API_KEYS = [
  ...API_SCOPES.map((scope) => `${scope.replace(':', '_')}:${SCOPED_KEYS[scope]}:${scope}`),
  `everything:${UNSCOPED_KEY}`,
  // A key with two scopes has both, and nothing else.
  `both:two-scopes-0123456789abcdef:statuses:write+suppressions:write`,
].join(',');

/** The scope table as the lead engineer decided it. */
const EXPECTED_SCOPES: Record<string, ApiScope> = {
  createMentorStatus: 'statuses:write',
  bulkCreateMentorStatuses: 'statuses:write',
  updateMentorStatus: 'statuses:write',
  deleteMentorStatus: 'statuses:write',
  createMentorSuppression: 'suppressions:write',
  bulkCreateMentorSuppressions: 'suppressions:write',
  updateMentorSuppression: 'suppressions:write',
  deleteMentorSuppression: 'admin',
  upsertMentorProfile: 'mentors:write',
  runCertificationSweep: 'admin',
  putReasonCode: 'admin',
  createWebhookSubscription: 'admin',
  updateWebhookSubscription: 'admin',
  deleteWebhookSubscription: 'admin',
  rotateWebhookSecret: 'admin',
  retryWebhookDelivery: 'admin',
};

const WRITE_METHODS = ['post', 'put', 'patch', 'delete'];
const WRITE_REQUEST_METHODS = new Set([RequestMethod.POST, RequestMethod.PUT, RequestMethod.PATCH, RequestMethod.DELETE]);

interface Operation {
  operationId: string;
  description?: string;
  security?: Record<string, string[]>[];
  responses: Record<string, { description: string; headers?: Record<string, unknown> }>;
  [REQUIRED_SCOPE_EXTENSION]?: string;
}

describe('API-key scopes on writes', () => {
  let t: TestApp;
  let writes: { method: string; url: string; operation: Operation }[];
  const fingerprint = async () =>
    JSON.stringify(
      (
        await t.db.query(`SELECT (SELECT count(*) FROM mentors) AS m, (SELECT count(*) FROM mentor_status_records) AS r,
                                 (SELECT count(*) FROM mentor_suppressions) AS s, (SELECT count(*) FROM idempotency_keys) AS k`)
      ).rows[0],
    );

  before(async () => {
    t = await startTestApp({ API_KEYS });
    const paths = (await request(t.http).get('/docs-json')).body.paths as Record<string, Record<string, Operation>>;
    writes = Object.entries(paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => WRITE_METHODS.includes(method))
        .map(([method, operation]) => ({ method, url: path.replace(/\{[^}]+\}/g, 'msr_01KK9T4N2H8Q6V3X7C5D1F0G2J'), operation })),
    );
  });
  after(() => t.close());

  it('every write handler of the app declares a scope, and they are the write operations of the document', () => {
    const handlers: { name: string; scope: unknown }[] = [];
    for (const module of t.app.get(ModulesContainer).values()) {
      for (const controller of module.controllers.values()) {
        const prototype = (controller.metatype as { prototype: Record<string, unknown> }).prototype;
        for (const name of Object.getOwnPropertyNames(prototype)) {
          const handler = prototype[name];
          if (typeof handler !== 'function' || !WRITE_REQUEST_METHODS.has(Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod)) continue;
          handlers.push({ name, scope: Reflect.getMetadata(REQUIRED_SCOPE, handler) ?? Reflect.getMetadata(REQUIRED_SCOPE, controller.metatype as object) });
        }
      }
    }
    const unscoped = handlers.filter((handler) => !(API_SCOPES as readonly unknown[]).includes(handler.scope)).map((handler) => handler.name);
    assert.deepEqual(unscoped, [], `write handlers without @RequiresScope: ${unscoped.join(', ')}`);
    assert.deepEqual(handlers.map((handler) => handler.name).sort(), writes.map((write) => write.operation.operationId).sort());
    assert.deepEqual(Object.fromEntries(handlers.map((handler) => [handler.name, handler.scope])), EXPECTED_SCOPES);
  });

  it('the document cannot be built with a write that declares no scope', () => {
    const document = {
      openapi: '3.0.0',
      info: { title: 't', version: '1' },
      paths: { '/things': { post: { operationId: 'createThing', responses: { 201: { description: 'made' } } } } },
    } as unknown as OpenAPIObject;
    assert.throws(() => documentWriteSafety(document), /write operation createThing declares no API-key scope/);
  });

  it('the document states the scope of each write operation: x-required-scope, a sentence, and a 403 with WWW-Authenticate', () => {
    assert.equal(writes.length, Object.keys(EXPECTED_SCOPES).length);
    for (const { operation } of writes) {
      const scope = EXPECTED_SCOPES[operation.operationId];
      assert.equal(operation[REQUIRED_SCOPE_EXTENSION], scope, operation.operationId);
      assert.ok(operation.description?.includes(`Needs an API key or access token with the scope \`${scope}\``), operation.operationId);
      assert.deepEqual(operation.security, [{ apiKey: [] }, { accessToken: [scope] }], operation.operationId);
      assert.match(operation.responses['403']?.description ?? '', new RegExp(`\`${scope}\``), operation.operationId);
      assert.ok(operation.responses['403']?.headers?.['WWW-Authenticate'], operation.operationId);
    }
  });

  for (const holder of [...API_SCOPES, 'no scopes'] as const) {
    it(`a key with ${holder === 'no scopes' ? 'no scopes configured' : `only ${holder}`} passes the guard exactly where its scope is needed`, async () => {
      const key = holder === 'no scopes' ? UNSCOPED_KEY : SCOPED_KEYS[holder];
      for (const { method, url, operation } of writes) {
        const needed = EXPECTED_SCOPES[operation.operationId];
        const before = await fingerprint();
        const response = await request(t.http)[method as 'post'](url).set('Authorization', `Bearer ${key}`).send({});
        const where = `${holder} → ${operation.operationId}: ${response.status} ${response.text}`;
        if (holder === 'no scopes' || holder === needed) {
          assert.ok(![401, 403].includes(response.status), where);
          continue;
        }
        assertProblem(response, 403);
        assert.equal(response.body.type, '/problems/insufficient-scope', where);
        assert.equal(response.body.required_scope, needed, where);
        assert.match(response.body.detail, new RegExp(`scope ${needed}`), where);
        assert.equal(response.headers['www-authenticate'], `Bearer error="insufficient_scope", scope="${needed}"`, where);
        assert.equal(await fingerprint(), before, `a refused write changed the data: ${where}`);
      }
    });
  }

  it('a key with two scopes has both and nothing else', async () => {
    for (const { method, url, operation } of writes) {
      const response = await request(t.http)[method as 'post'](url).set('Authorization', 'Bearer two-scopes-0123456789abcdef').send({});
      const allowed = ['statuses:write', 'suppressions:write'].includes(EXPECTED_SCOPES[operation.operationId]);
      assert.equal(response.status === 403, !allowed, `${operation.operationId}: ${response.status}`);
    }
  });

  it('a scoped key really writes where it may: statuses, then the sweep only with admin', async () => {
    const mentor = await request(t.http)
      .put('/api/v1/mentors/mntr_scope')
      .set('Authorization', `Bearer ${SCOPED_KEYS['mentors:write']}`)
      .send({ full_name: 'Scoped', chapter_id: 'chpt_scope' });
    assert.equal(mentor.status, 201);
    const status = await request(t.http)
      .post('/api/v1/mentor-statuses')
      .set('Authorization', `Bearer ${SCOPED_KEYS['statuses:write']}`)
      .send({ mentor_id: 'mntr_scope', status: 'active', changed_by: 'user_scope' });
    assert.equal(status.status, 201);
    const refused = await request(t.http).post('/api/v1/certification-sweeps').set('Authorization', `Bearer ${SCOPED_KEYS['statuses:write']}`);
    assertProblem(refused, 403);
    assert.equal((await request(t.http).post('/api/v1/certification-sweeps').set('Authorization', `Bearer ${SCOPED_KEYS.admin}`)).status, 200);
  });
});
