import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { MAX_PAGE_SIZE } from '../../src/common/pagination/pagination.dto.js';
import { MENTOR_STATUSES } from '../../src/mentor-directory/mentor-status.js';
import { firstDifference, repoRoot } from '../support/repository.js';
import { startTestApp, TestApp } from '../support/test-app.js';

interface Schema {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  additionalProperties?: unknown;
  properties?: Record<string, Schema>;
  items?: Schema;
}
interface Operation {
  operationId: string;
  parameters?: { name: string; in: string; schema: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

const PROBLEM = { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDto' } } };

describe('the OpenAPI document', () => {
  let t: TestApp;
  let served: Document;
  let operations: Operation[];
  before(async () => {
    t = await startTestApp();
    served = (await request(t.http).get('/docs-json').expect(200)).body;
    operations = Object.values(served.paths).flatMap((pathItem) => Object.values(pathItem));
  });
  after(() => t.close());

  it('is the committed openapi.json, byte for byte', async () => {
    const committed = await readFile(join(repoRoot, 'openapi.json'), 'utf8');
    const expected = `${JSON.stringify(served, null, 2)}\n`;
    assert.ok(committed === expected, `openapi.json is out of date (${firstDifference(expected, committed)}): run \`npm run openapi\``);
  });

  it('answers every 4xx and 5xx with the one problem+json schema', () => {
    for (const operation of operations) {
      for (const [status, response] of Object.entries(operation.responses).filter(([status]) => Number(status) >= 400)) {
        assert.deepEqual(response.content, PROBLEM, `${operation.operationId} ${status}`);
      }
    }
  });

  it('describes every success body by a named schema (a streamed NDJSON export, each line)', () => {
    for (const operation of operations) {
      const successes = Object.entries(operation.responses).filter(([status]) => status.startsWith('2'));
      assert.ok(successes.length > 0, operation.operationId);
      for (const [status, response] of successes) {
        const ref = (response.content?.['application/json'] ?? response.content?.['application/x-ndjson'])?.schema.$ref;
        assert.match(ref ?? '', /^#\/components\/schemas\/\w+$/, `${operation.operationId} ${status}`);
      }
    }
  });

  it("gives each export a CSV body and NDJSON lines of its list's item schema", () => {
    const exports = { '/api/v1/exports/mentor-statuses': '/api/v1/mentor-statuses', '/api/v1/exports/mentor-suppressions': '/api/v1/mentor-suppressions' };
    for (const [path, list] of Object.entries(exports)) {
      const content = served.paths[path]?.get?.responses['200']?.content ?? {};
      assert.deepEqual(Object.keys(content).sort(), ['application/x-ndjson', 'text/csv'], path);
      assert.equal(content['text/csv'].schema.type, 'string', path);
      const listRef = served.paths[list]?.get?.responses['200']?.content?.['application/json']?.schema.$ref ?? '';
      const listed = served.components.schemas[listRef.replace('#/components/schemas/', '')];
      assert.deepEqual(content['application/x-ndjson'].schema, listed?.properties?.data?.items, path);
    }
  });

  it('documents 500 and 503 everywhere, 400 wherever there is input, and 413 and 415 wherever there is a body', () => {
    for (const operation of operations) {
      const statuses = Object.keys(operation.responses);
      const expected = ['500', '503'];
      if ((operation.parameters ?? []).length > 0 || operation.requestBody) expected.push('400');
      if (operation.requestBody) expected.push('413', '415');
      for (const status of expected) assert.ok(statuses.includes(status), `${operation.operationId} documents ${status}`);
    }
  });

  it('closes request bodies as the validation pipe does: unknown properties are not allowed', () => {
    const bodies = operations.filter((operation) => operation.requestBody);
    assert.ok(bodies.length > 0);
    for (const operation of bodies) {
      const ref = operation.requestBody?.content['application/json']?.schema.$ref ?? '';
      const schema = served.components.schemas[ref.replace('#/components/schemas/', '')];
      assert.equal(schema?.additionalProperties, false, operation.operationId);
    }
  });

  it('gives every list the shared shape and the bounds its validators enforce: limit 1 to 100, page from 1', () => {
    // The change feed is not a list of resources: it answers { data, next_cursor } and takes up to 500 events.
    const lists = operations.filter(
      (operation) => operation.operationId !== 'listEvents' && operation.parameters?.some((parameter) => parameter.name === 'limit'),
    );
    assert.ok(lists.length >= 6, `${lists.length} lists`);
    for (const operation of lists) {
      const schemaOf = (name: string) => operation.parameters?.find((parameter) => parameter.name === name && parameter.in === 'query')?.schema;
      assert.deepEqual(
        { type: schemaOf('limit')?.type, minimum: schemaOf('limit')?.minimum, maximum: schemaOf('limit')?.maximum },
        { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE },
        operation.operationId,
      );
      assert.equal(schemaOf('page')?.minimum, 1, operation.operationId);
      const ref = operation.responses['200']?.content?.['application/json']?.schema.$ref ?? '';
      const list = served.components.schemas[ref.replace('#/components/schemas/', '')];
      assert.deepEqual(list?.properties?.pagination, { $ref: '#/components/schemas/PaginationDto' }, operation.operationId);
      assert.equal(list?.properties?.data?.type, 'array', operation.operationId);
    }
    const statusFilter = served.paths['/api/v1/mentor-statuses']?.get?.parameters?.find((parameter) => parameter.name === 'status');
    assert.equal(statusFilter?.schema.$ref, '#/components/schemas/MentorStatus');
    assert.deepEqual(served.components.schemas.MentorStatus?.enum, [...MENTOR_STATUSES]);
  });
});
