import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { assertProblem } from '../support/problem.js';
import { startTestApp, TestApp } from '../support/test-app.js';

describe('the app shell', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('GET /health is 200 while the database answers', async () => {
    const response = await request(t.http).get('/health');
    assert.equal(response.status, 200);
    assert.equal(response.body.status, 'ok');
    assert.equal(response.body.details.database.status, 'up');
  });

  it('serves Swagger UI at /docs and the OpenAPI document at /docs-json', async () => {
    const ui = await request(t.http).get('/docs');
    assert.equal(ui.status, 200);
    assert.match(ui.text, /swagger-ui/i);
    const json = await request(t.http).get('/docs-json');
    assert.equal(json.status, 200);
    assert.equal(json.body.info.title, 'Mentor Status & Visibility Service');
    assert.ok(json.body.paths['/api/v1/mentors/{mentor_id}']);
    assert.ok(json.body.components.schemas.ProblemDto);
  });

  it('keeps doubled contract paths out of the OpenAPI document', async () => {
    const json = await request(t.http).get('/docs-json');
    const doubled = Object.keys(json.body.paths).filter((path) => /\/api\/v1\/.*\/api\/v1\//.test(path));
    assert.deepEqual(doubled, []);
  });

  it('answers an unknown route with a 404 problem+json', async () => {
    assertProblem(await request(t.http).get('/api/v1/no-such-thing'), 404);
  });

  it('gives every answer a request id, keeping a sane one the caller sent', async () => {
    const fresh = await request(t.http).get('/health');
    assert.match(String(fresh.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    const kept = await request(t.http).get('/health').set('x-request-id', 'trace-123');
    assert.equal(kept.headers['x-request-id'], 'trace-123');
    const replaced = await request(t.http).get('/health').set('x-request-id', 'bad id with spaces');
    assert.notEqual(replaced.headers['x-request-id'], 'bad id with spaces');
  });
});

describe('GET /health when the database is gone', () => {
  it('is 503 problem+json naming the database check', async () => {
    const t = await startTestApp();
    try {
      await t.db.end();
      await t.database.drop();
      const response = await request(t.http).get('/health');
      assertProblem(response, 503);
      assert.equal(response.body.checks.details.database.status, 'down');
    } finally {
      await t.app.close();
    }
  });
});
