import type { Client, MaybeOptionalInit } from 'openapi-fetch';
import type { paths } from '../schema.js';
import type { ProblemError } from './problem-error.js';

/** A list answer: one page of items and where it is in the whole list. `next_cursor` comes with keyset pagination. */
interface ListAnswer {
  data: unknown[];
  pagination: { page: number; limit: number; total: number; next_cursor?: string | null };
}

type JsonOk<Operation> = Operation extends { responses: { 200: { content: { 'application/json': infer Body } } } } ? Body : never;

/** The paths whose GET answers a page of a list. */
export type ListPath = {
  [Path in keyof paths]: paths[Path] extends { get: infer Operation } ? (JsonOk<Operation> extends ListAnswer ? Path : never) : never;
}[keyof paths];
export type ListPage<Path extends ListPath> = JsonOk<paths[Path]['get']>;
export type ListItem<Path extends ListPath> = ListPage<Path>['data'][number];
/** The GET's options: path parameters, filters and `limit`; `page` (or, later, `cursor`) says where to start. */
export type ListInit<Path extends ListPath> = MaybeOptionalInit<paths[Path], 'get'>;
type ListArgs<Path extends ListPath> = undefined extends ListInit<Path> ? [init?: ListInit<Path>] : [init: ListInit<Path>];

export interface ListIterators {
  /**
   * Every page of a list, in order, each fetched when the loop asks for it. Follows
   * `pagination.next_cursor` (`?cursor=`) where the answer has it, else `?page=` up to `total`.
   * A failed page throws its {@link ProblemError}.
   */
  pages<Path extends ListPath>(path: Path, ...init: ListArgs<Path>): AsyncGenerator<ListPage<Path>, void, undefined>;
  /** Every item of a list, page after page, as {@link ListIterators.pages} fetches them. */
  items<Path extends ListPath>(path: Path, ...init: ListArgs<Path>): AsyncGenerator<ListItem<Path>, void, undefined>;
}

interface LooseInit {
  params?: { query?: Record<string, unknown> } & Record<string, unknown>;
  [option: string]: unknown;
}
type LooseGet = (path: string, init: LooseInit) => Promise<{ data?: ListAnswer; error?: ProblemError }>;

/** The query of the page after `answer`, or undefined when `answer` was the last page. */
function nextQuery(query: Record<string, unknown>, answer: ListAnswer): Record<string, unknown> | undefined {
  const { pagination } = answer;
  if (answer.data.length === 0) return undefined;
  if ('next_cursor' in pagination) {
    if (typeof pagination.next_cursor !== 'string') return undefined;
    // A cursor stands for the position; the filters and `limit` must stay the same.
    const { page: _page, ...filters } = query;
    return { ...filters, cursor: pagination.next_cursor };
  }
  if (pagination.page * pagination.limit >= pagination.total) return undefined;
  return { ...query, page: pagination.page + 1 };
}

export function listIterators(client: Client<paths>): ListIterators {
  // The iterators add `cursor` or `page` to whatever query the list takes, which the path-by-path types cannot express.
  const get = client.GET as unknown as LooseGet;
  async function* pages(path: string, init: LooseInit = {}): AsyncGenerator<ListAnswer, void, undefined> {
    const { params = {}, ...options } = init;
    let query: Record<string, unknown> | undefined = { ...params.query };
    while (query) {
      const { data, error } = await get(path, { ...options, params: { ...params, query } });
      if (error !== undefined) throw error;
      if (data === undefined) throw new TypeError(`GET ${path} answered without a body`);
      yield data;
      query = nextQuery(query, data);
    }
  }
  async function* items(path: string, init?: LooseInit): AsyncGenerator<unknown, void, undefined> {
    for await (const page of pages(path, init)) yield* page.data;
  }
  return { pages, items } as unknown as ListIterators;
}
