import { ArgumentMetadata, Injectable, Type, ValidationError, ValidationPipe } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';
import { FieldError, shortened, ValidationProblem } from '../errors/problem.exception.js';
import { compileInput, CompiledInput } from './compiled-input.js';
import { isValidatedOneByOne } from './property.decorators.js';

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

const SOURCES = { body: 'body property', query: 'query parameter', param: 'path parameter' } as const;

const declared = new WeakMap<object, ReadonlySet<string>>();

/** The properties a DTO declares validators for, its parent classes' included. */
function declaredProperties(metatype: abstract new (...args: never[]) => unknown): ReadonlySet<string> {
  let names = declared.get(metatype);
  if (!names) {
    names = new Set(
      getMetadataStorage()
        .getTargetValidationMetadatas(metatype, '', true, false)
        .map((metadata) => metadata.propertyName),
    );
    declared.set(metatype, names);
  }
  return names;
}

// With the u flag a lone surrogate is a code point of its own, of category Cs; a well-formed pair is not.
const LONE_SURROGATE = /\p{Cs}/u;

/** PostgreSQL cannot store U+0000 in text, and unpaired surrogates are not Unicode text at all. */
function textProblem(field: string, value: unknown): FieldError | undefined {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) return { field, message: `${field} must not contain the character U+0000` };
    if (LONE_SURROGATE.test(value)) return { field, message: `${field} must be well-formed Unicode (it contains an unpaired surrogate)` };
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) {
      const problem = textProblem(field, child);
      if (problem) return problem;
    }
  }
  return undefined;
}

/**
 * What is checked on the object as it arrived, before class-transformer turns it into the DTO:
 * every key must be a property the DTO declares (so that no key can reach an internal one, such as
 * a getter, `constructor` or `__proto__`), and every string must be text that PostgreSQL can store.
 */
export function undeclaredProblem(key: string, type: keyof typeof SOURCES): FieldError {
  return { field: key, message: `${shortened(key, 64)} is not a ${SOURCES[type]} of this operation` };
}

function rawInputProblems(value: object, metatype: Type, type: keyof typeof SOURCES): FieldError[] {
  const names = declaredProperties(metatype);
  return Object.entries(value).flatMap(([key, given]: [string, unknown]) => {
    if (!names.has(key)) return [undeclaredProblem(key, type)];
    // The query parser makes an array of a repeated parameter; no parameter of this API is a list.
    if (type === 'query' && Array.isArray(given)) return [{ field: key, message: `${key} must be given once` }];
    if (isValidatedOneByOne(metatype, key)) return [];
    const problem = textProblem(key, given);
    return problem ? [problem] : [];
  });
}

const compiled = new WeakMap<object, CompiledInput | null>();

/** The DTO's compiled checks (see compileInput), made on its first request. */
function compiledInputOf(metatype: Type): CompiledInput | undefined {
  let checks = compiled.get(metatype);
  if (checks === undefined) compiled.set(metatype, (checks = compileInput(metatype) ?? null));
  return checks ?? undefined;
}

/**
 * Validates every body, query and path DTO: rejects unknown properties and text that is not
 * storable (400 rather than silently dropping or failing later), converts declared types, and
 * insists that a body is a JSON object.
 */
@Injectable()
export class StrictValidationPipe extends ValidationPipe {
  constructor() {
    super({
      transform: true,
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      stopAtFirstError: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => new ValidationProblem(flatten(errors)),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const isPlainObject = typeof value === 'object' && value !== null && !Array.isArray(value);
    if (metadata.type === 'body' && !isPlainObject) {
      throw new ValidationProblem([{ field: 'body', message: 'the request body must be a JSON object' }]);
    }
    if (metadata.type in SOURCES && isPlainObject && metadata.metatype && this.toValidate(metadata)) {
      const problems = rawInputProblems(value, metadata.metatype, metadata.type as keyof typeof SOURCES);
      if (problems.length > 0) throw new ValidationProblem(problems);
      if (metadata.type !== 'body') {
        const accepted = compiledInputOf(metadata.metatype)?.(value as Record<string, unknown>);
        if (accepted) return accepted;
      }
      const batches = Object.keys(value).filter((key) => isValidatedOneByOne(metadata.metatype!, key));
      if (batches.length > 0) return this.withItemsAsTheyArrived(value as Record<string, unknown>, batches, metadata);
    }
    return super.transform(value, metadata);
  }

  /**
   * Nest's pipe deletes `constructor`, `prototype` and `__proto__` keys at every depth before it
   * validates, and batch items must reach their own check (validateBody) as they arrived, where such
   * a key is the 400 it is in a single body. So the batch is validated with each item that is an
   * object given as an empty one (its shape is all the batch's rules look at), and then gets its
   * items back untouched.
   */
  private async withItemsAsTheyArrived(value: Record<string, unknown>, batches: string[], metadata: ArgumentMetadata): Promise<unknown> {
    const emptied = { ...value };
    for (const key of batches) {
      const items = value[key];
      if (Array.isArray(items)) emptied[key] = items.map((item: unknown) => (typeof item === 'object' && item !== null && !Array.isArray(item) ? {} : item));
    }
    const transformed = (await super.transform(emptied, metadata)) as Record<string, unknown>;
    for (const key of batches) transformed[key] = value[key];
    return transformed;
  }
}

const bodies = new StrictValidationPipe();

/**
 * Validates `value` exactly as the pipe validates a handler's body of this type, for each item of
 * a batch (the body of a single write): the DTO, or a {@link ValidationProblem}.
 */
export async function validateBody<Body>(metatype: Type<Body>, value: unknown): Promise<Body> {
  return (await bodies.transform(value, { type: 'body', metatype })) as Body;
}
