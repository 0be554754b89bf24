import type { FastifyInstance } from 'fastify';
import { type FieldError, ValidationProblem } from '../errors/problem.exception.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** An object or array open at the scanner's position: the member names seen so far (an object's), and where it is. */
interface Container {
  names: Set<string> | undefined;
  /** The last member name read (an object's), or the index of the current item (an array's). */
  at: string | number;
  parent: Container | undefined;
}

/** Where the string that opens at `start` ends: the next quote that no backslash escapes. */
function closingQuote(text: string, start: number): number {
  let end = text.indexOf('"', start + 1);
  for (;;) {
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
}

/** The member as a validation error names it: its path as `field` (`items.1.status`), and the object it is in. */
function repeated(container: Container, name: string): FieldError {
  const segments: string[] = [];
  for (let inner = container; inner.parent; inner = inner.parent) segments.unshift(String(inner.parent.at));
  const object = segments.join('.');
  return { field: [...segments, name].join('.'), message: `${JSON.stringify(name)} appears more than once in ${object || 'the body'}` };
}

/**
 * The first member name that an object of this JSON text gives twice, or undefined. One pass over
 * text that JSON.parse has accepted (so it is well-formed): strings are skipped to their closing
 * quote, and a name with escapes is compared as it decodes (`"a"` and `"\u0061"` are the same member).
 */
export function repeatedMember(text: string): FieldError | undefined {
  let open: Container | undefined;
  let expectName = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      const start = i;
      i = closingQuote(text, start);
      if (!expectName || !open?.names) continue;
      expectName = false;
      const raw = text.slice(start + 1, i);
      const name = raw.includes('\\') ? (JSON.parse(text.slice(start, i + 1)) as string) : raw;
      if (open.names.has(name)) return repeated(open, name);
      open.names.add(name);
      open.at = name;
    } else if (code === OPEN_OBJECT || code === OPEN_ARRAY) {
      const isObject = code === OPEN_OBJECT;
      open = { names: isObject ? new Set() : undefined, at: isObject ? '' : 0, parent: open };
      expectName = isObject;
    } else if (code === CLOSE_OBJECT || code === CLOSE_ARRAY) {
      open = open?.parent;
    } else if (code === COMMA && open) {
      if (open.names) expectName = true;
      else open.at = (open.at as number) + 1;
    }
  }
  return undefined;
}

/**
 * JSON bodies must be UTF-8 (RFC 8259): bytes that are not are 400, where Fastify's own parser
 * would decode them to U+FFFD and the service would store that. The decoded text then goes
 * through Fastify's own safe parsing (a `__proto__` or `constructor.prototype` key is 400), and
 * the body limit (413) and the 415 for other media types stay as they were. An object that gives
 * a member twice is 400 naming it: JSON.parse keeps the last, a gateway or another reader may
 * keep the first, and the two would act on different values.
 */
export function parseJsonBodiesStrictly(fastify: FastifyInstance): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      done(new ValidationProblem([{ field: 'body', message: 'the request body must be UTF-8 encoded' }]), undefined);
      return;
    }
    void parseJson(request, text, (error, parsed) => {
      const twice = error || typeof parsed !== 'object' || parsed === null ? undefined : repeatedMember(text);
      if (twice) done(new ValidationProblem([twice]), undefined);
      else done(error, parsed);
    });
  });
}
