import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { breakingChanges, majorOf } from '../../tools/openapi-breaking-changes.js';

/**
 * A small API: a list of things filtered by colour, and a POST that creates one. Each test changes
 * one thing in a fresh copy.
 */
function api() {
  return {
    openapi: '3.0.0',
    info: { title: 'Things', version: '1.0.0' },
    paths: {
      '/things': {
        get: {
          operationId: 'listThings',
          parameters: [
            { name: 'color', in: 'query', required: false, schema: { type: 'string', enum: ['red', 'blue'] } },
            { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100 } },
          ] as Record<string, unknown>[],
          responses: { '200': { description: 'The things', content: { 'application/json': { schema: { $ref: '#/components/schemas/ThingList' } } } } },
        },
        post: {
          operationId: 'createThing',
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/CreateThing' } } } },
          responses: { '201': { description: 'Created', content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } } } },
        },
      },
    } as Record<string, unknown>,
    components: {
      schemas: {
        Thing: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            color: { type: 'string', enum: ['red', 'blue'] },
            size: { type: 'integer' },
            label: { type: 'string', nullable: true },
          } as Record<string, Record<string, unknown>>,
          required: ['id', 'color', 'size'],
        },
        ThingList: { type: 'object', properties: { data: { type: 'array', items: { $ref: '#/components/schemas/Thing' } } }, required: ['data'] },
        CreateThing: {
          type: 'object',
          properties: {
            name: { type: 'string', maxLength: 100 },
            color: { type: 'string', enum: ['red', 'blue'] },
            note: { type: 'string' },
          } as Record<string, Record<string, unknown>>,
          required: ['name'],
          additionalProperties: false,
        },
      },
    },
  };
}

type Api = ReturnType<typeof api>;
const things = (document: Api) => document.paths['/things'] as { get: Record<string, unknown> & { parameters: Record<string, unknown>[] } };
const param = (document: Api, name: string) => {
  const found = things(document).get.parameters.find((parameter) => parameter.name === name);
  assert.ok(found);
  return found as { required: boolean; schema: Record<string, unknown> };
};
const schemas = (document: Api) => document.components.schemas;

function changed(change: (document: Api) => void): string[] {
  const after = api();
  change(after);
  return breakingChanges(api(), after);
}

describe('breakingChanges (the client release check)', () => {
  const breaking: [kind: string, change: (document: Api) => void, expected: RegExp][] = [
    ['a removed path', (d) => delete d.paths['/things'], /^GET \/things: \[Removed\] operation/],
    ['a removed operation', (d) => delete (d.paths['/things'] as Record<string, unknown>).post, /^POST \/things: /],
    ['a removed parameter', (d) => (things(d).get.parameters = things(d).get.parameters.filter((p) => p.name !== 'limit')), /^GET \/things: .*limit/],
    ['a removed response field', (d) => delete schemas(d).Thing.properties.size, /^GET \/things: .*size/],
    ['a removed response enum value', (d) => (schemas(d).Thing.properties.color.enum = ['red']), /^GET \/things: .*color/],
    // A typed client's exhaustive switch over the answers no longer covers them.
    ['a new response enum value', (d) => (schemas(d).Thing.properties.color.enum = ['red', 'blue', 'green']), /color/],
    ['a removed enum value of a parameter', (d) => (param(d, 'color').schema.enum = ['red']), /^GET \/things: /],
    ['a removed enum value of a body property', (d) => (schemas(d).CreateThing.properties.color.enum = ['blue']), /^POST \/things: /],
    ['a narrowed parameter bound', (d) => (param(d, 'limit').schema.maximum = 50), /^GET \/things: .*maximum/],
    ['a narrowed body property bound', (d) => (schemas(d).CreateThing.properties.name.maxLength = 10), /^POST \/things: .*maxLength/],
    ['a changed type in an answer', (d) => (schemas(d).Thing.properties.size.type = 'string'), /^GET \/things: .*type .*size/],
    // As with a removed enum value: a comparison of the field with null no longer compiles.
    ['an answer field that can no longer be null', (d) => delete schemas(d).Thing.properties.label.nullable, /^GET \/things: .*nullable .*label/],
    ['an answer field that may now be null', (d) => (schemas(d).Thing.properties.size.nullable = true), /^GET \/things: .*nullable .*size/],
    ['a narrowed type of a parameter', (d) => (param(d, 'color').schema.type = 'integer'), /^GET \/things: .*color/],
    ['a parameter made required', (d) => (param(d, 'color').required = true), /^GET \/things: .*required/],
    [
      'a new required parameter',
      (d) => things(d).get.parameters.push({ name: 'owner', in: 'query', required: true, schema: { type: 'string' } }),
      /^GET \/things: .*owner/,
    ],
    ['a body property made required', (d) => schemas(d).CreateThing.required.push('color'), /^POST \/things: .*required/],
    [
      'a new required body property',
      (d) => {
        schemas(d).CreateThing.properties.owner = { type: 'string' };
        schemas(d).CreateThing.required.push('owner');
      },
      /^POST \/things: .*owner/,
    ],
    ['a property removed from a closed request body', (d) => delete schemas(d).CreateThing.properties.note, /^POST \/things: .*note/],
  ];
  for (const [kind, change, expected] of breaking) {
    it(`finds ${kind}`, () => {
      const found = changed(change);
      assert.ok(
        found.some((line) => expected.test(line)),
        `expected a line matching ${expected}, got ${JSON.stringify(found)}`,
      );
    });
  }

  const additive: [kind: string, change: (document: Api) => void][] = [
    ['no change at all', () => undefined],
    ['a new version and description', (d) => Object.assign(d.info, { version: '1.1.0', description: 'More things' })],
    ['a new path', (d) => (d.paths['/colors'] = { get: { operationId: 'listColors', responses: { '200': { description: 'Colours' } } } })],
    [
      'a new operation',
      (d) => ((d.paths['/things'] as Record<string, unknown>).delete = { operationId: 'clearThings', responses: { '204': { description: 'Cleared' } } }),
    ],
    ['a new optional parameter', (d) => things(d).get.parameters.push({ name: 'cursor', in: 'query', required: false, schema: { type: 'string' } })],
    ['a new response field', (d) => (schemas(d).Thing.properties.next_cursor = { type: 'string', nullable: true })],
    [
      'a new required response field',
      (d) => {
        schemas(d).Thing.properties.total_exact = { type: 'boolean' };
        schemas(d).Thing.required.push('total_exact');
      },
    ],
    ['a narrowed bound in an answer', (d) => (schemas(d).Thing.properties.size.maximum = 10)],
    ['a new optional body property', (d) => (schemas(d).CreateThing.properties.owner = { type: 'string' })],
    ['a new enum value of a parameter', (d) => (param(d, 'color').schema.enum = ['red', 'blue', 'green'])],
    ['a widened parameter bound', (d) => (param(d, 'limit').schema.maximum = 500)],
    ['a required body property made optional', (d) => (schemas(d).CreateThing.required = [])],
  ];
  for (const [kind, change] of additive) {
    it(`accepts ${kind}`, () => assert.deepEqual(changed(change), []));
  }
});

describe('majorOf', () => {
  it('reads the major version of a semantic version, and refuses anything else', () => {
    assert.equal(majorOf('1.0.0'), 1);
    assert.equal(majorOf('12.3.4-beta.1'), 12);
    assert.throws(() => majorOf('v2'), /not a semantic version/);
  });
});
