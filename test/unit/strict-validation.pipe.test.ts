import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_LISTED_ERRORS, ValidationProblem } from '../../src/common/errors/problem.exception.js';
import { StrictValidationPipe } from '../../src/common/validation/strict-validation.pipe.js';
import { MentorIdParams } from '../../src/mentors/dto/mentor-id.params.js';
import { ListMentorsQueryDto } from '../../src/mentors/dto/list-mentors.query.js';

const pipe = new StrictValidationPipe();

async function problemOf(promise: Promise<unknown>): Promise<ValidationProblem> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ValidationProblem, String(error));
    return error;
  }
  assert.fail('expected a ValidationProblem');
}

describe('StrictValidationPipe', () => {
  it('refuses a path parameter the DTO does not declare, before class-transformer sees it', async () => {
    const problem = await problemOf(pipe.transform({ mentor_id: 'mntr_1', constructor: 'x' }, { type: 'param', metatype: MentorIdParams }));
    assert.deepEqual(problem.problem.errors, [{ field: 'constructor', message: 'constructor is not a path parameter of this operation' }]);
  });

  it('refuses U+0000 and lone surrogates in path parameters', async () => {
    for (const value of ['a\u0000', '\ud800', 'x\udc00y']) {
      const problem = await problemOf(pipe.transform({ mentor_id: value }, { type: 'param', metatype: MentorIdParams }));
      assert.deepEqual(
        problem.problem.errors?.map((error) => error.field),
        ['mentor_id'],
      );
    }
  });

  it("knows a subclass's inherited properties, and nothing else: not getters, not Object.prototype's", async () => {
    const query = Object.assign(Object.create(null) as object, { page: '2', limit: '5', chapter_id: 'chpt_1' });
    const dto = (await pipe.transform(query, { type: 'query', metatype: ListMentorsQueryDto })) as ListMentorsQueryDto;
    assert.deepEqual({ page: dto.page, limit: dto.limit, chapter_id: dto.chapter_id }, { page: 2, limit: 5, chapter_id: 'chpt_1' });
    for (const key of ['offset', '__proto__', 'constructor', 'toString', 'isPrototypeOf']) {
      const hostile = Object.assign(Object.create(null) as object, { [key]: '1' });
      const problem = await problemOf(pipe.transform(hostile, { type: 'query', metatype: ListMentorsQueryDto }));
      assert.deepEqual(
        problem.problem.errors?.map((error) => error.field),
        [key],
      );
    }
  });
});

describe('ValidationProblem', () => {
  it('lists each distinct problem once', () => {
    const problem = new ValidationProblem([
      { field: 'Authorization', message: 'Authorization must be sent once' },
      { field: 'Authorization', message: 'Authorization must be sent once' },
      { field: 'limit', message: 'limit must not be greater than 100' },
    ]);
    assert.equal(problem.problem.errors?.length, 2);
    assert.equal(problem.detail, 'Authorization must be sent once; limit must not be greater than 100');
    assert.equal(problem.problem.extensions, undefined);
  });

  it(`lists the first ${MAX_LISTED_ERRORS}, counts the rest, and keeps detail and each entry short`, () => {
    const errors = Array.from({ length: 500 }, (_, index) => ({ field: `f${index}${'x'.repeat(5_000)}`, message: `m${index}${'y'.repeat(5_000)}` }));
    const problem = new ValidationProblem(errors);
    assert.equal(problem.problem.errors?.length, MAX_LISTED_ERRORS);
    assert.deepEqual(problem.problem.extensions, { errors_omitted: 500 - MAX_LISTED_ERRORS });
    for (const error of problem.problem.errors ?? []) assert.ok(error.field.length <= 100 && error.message.length <= 300);
    assert.ok(JSON.stringify(problem.problem).length < 10_000);
    assert.match(problem.detail, /; and 497 more$/);
  });

  it('never cuts a surrogate pair in half', () => {
    const problem = new ValidationProblem([{ field: `${'a'.repeat(98)}😀😀`, message: 'm' }]);
    const field = problem.problem.errors?.[0].field ?? '';
    assert.ok(!/\p{Cs}/u.test(field), JSON.stringify(field));
    assert.ok(field.endsWith('…'));
  });
});
