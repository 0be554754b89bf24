import { Type } from '@nestjs/common';
import { ApiBody, ApiBodyOptions } from '@nestjs/swagger';

/** An OpenAPI `examples` map holding an API contract's example. */
export function contractExamples<Value>(value: Value) {
  return { contract: { summary: "The API contract's example", value } };
}

/**
 * The request body's DTO with the contract's request example. Nest writes `examples` for a DTO
 * body as it does for a raw schema; only its typing leaves them out, hence the widened options.
 */
export function ApiContractBody<Body>(type: Type<Body>, example: Body) {
  const options: ApiBodyOptions & { examples: ReturnType<typeof contractExamples<Body>> } = { type, examples: contractExamples(example) };
  return ApiBody(options);
}
