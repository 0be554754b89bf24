import { ConsistencyTokens, createMentorStatusClient, ProblemError, type MentorStatusClientOptions, type RetryEvent } from '@mentor-status/client';
import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';

const BASE_URL = 'http://api.test';
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const CREATE = { mentor_id: 'mntr_1', status: 'paused', reason: 'Leave', changed_by: 'user_1' } as const;
const CREATED = { ...CREATE, mentor_status_id: 'msr_1', changed_at: '2026-01-01T00:00:00.000Z', created_at: '2026-01-01T00:00:00.000Z' };

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  const contentType = status >= 400 ? 'application/problem+json' : 'application/json';
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': contentType, ...headers } });
}

function problem(status: number, type: string, extra: Record<string, unknown> = {}): Response {
  return json(status, { type, title: 'Problem', status, detail: `${type} happened`, instance: '/api/v1/x', ...extra });
}

/** A stand-in for the network that answers with `answers` in turn (an Error is thrown, as fetch does on a network error) and keeps every request. */
function fakeNetwork(...answers: (Response | Error)[]) {
  const requests: Request[] = [];
  const fetch = (request: Request): Promise<Response> => {
    requests.push(request);
    const answer = answers.shift();
    assert.ok(answer, `no answer left for request ${requests.length}: ${request.method} ${request.url}`);
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  };
  return { fetch, requests };
}

function client(network: ReturnType<typeof fakeNetwork>, options: MentorStatusClientOptions = {}) {
  return createMentorStatusClient(BASE_URL, { fetch: network.fetch, retry: { baseDelayMs: 0 }, ...options });
}

const networkError = () => new TypeError('fetch failed');

describe('the client package: API key, idempotency keys and retries', () => {
  afterEach(() => mock.timers.reset());

  it('sends the API key on POST, PUT and DELETE and not on GET', async () => {
    const network = fakeNetwork(json(201, CREATED), json(200, {}), json(200, {}), json(200, { data: [], pagination: { page: 1, limit: 20, total: 0 } }));
    const api = client(network, { apiKey: 'secret-key' });
    await api.POST('/api/v1/mentor-statuses', { body: CREATE });
    await api.PUT('/api/v1/mentor-statuses/{id}', { params: { path: { id: 'msr_1' } }, body: { reason: 'Other' } });
    await api.DELETE('/api/v1/mentor-statuses/{id}', { params: { path: { id: 'msr_1' } } });
    await api.GET('/api/v1/mentor-statuses');
    assert.deepEqual(
      network.requests.map((request) => [request.method, request.headers.get('authorization')]),
      [
        ['POST', 'Bearer secret-key'],
        ['PUT', 'Bearer secret-key'],
        ['DELETE', 'Bearer secret-key'],
        ['GET', null],
      ],
    );
  });

  it('gives each POST an Idempotency-Key of its own, the same on each of its attempts, and only POSTs', async () => {
    const network = fakeNetwork(problem(503, 'about:blank'), networkError(), json(201, CREATED), json(201, CREATED), json(200, {}));
    const api = client(network);
    const first = await api.POST('/api/v1/mentor-statuses', { body: CREATE });
    assert.equal(first.response.status, 201);
    await api.POST('/api/v1/mentor-statuses', { body: CREATE });
    await api.PUT('/api/v1/mentor-statuses/{id}', { params: { path: { id: 'msr_1' } }, body: { reason: 'Other' } });
    const keys = network.requests.map((request) => request.headers.get('idempotency-key'));
    assert.equal(keys.length, 5);
    assert.match(keys[0] ?? '', UUID_V4);
    assert.deepEqual(keys.slice(1, 3), [keys[0], keys[0]], 'the retries of one call reuse its key');
    assert.match(keys[3] ?? '', UUID_V4);
    assert.notEqual(keys[3], keys[0], 'another call, another key');
    assert.equal(keys[4], null);
    // Each attempt sends the whole body again.
    for (const request of network.requests.slice(0, 3)) assert.deepEqual(await request.json(), CREATE);
  });

  it("keeps an Idempotency-Key that the caller chose, for retries across the caller's own attempts", async () => {
    const network = fakeNetwork(json(201, CREATED));
    await client(network).POST('/api/v1/mentor-statuses', { body: CREATE, params: { header: { 'Idempotency-Key': 'order-42' } } });
    assert.equal(network.requests[0]?.headers.get('idempotency-key'), 'order-42');
  });

  it('retries a POST whose key is still in progress elsewhere (409), and no other 409', async () => {
    const network = fakeNetwork(problem(409, '/problems/idempotency-key-in-progress'), json(201, CREATED), problem(409, '/problems/no-op-transition'));
    const api = client(network);
    assert.equal((await api.POST('/api/v1/mentor-statuses', { body: CREATE })).response.status, 201);
    const noOp = await api.POST('/api/v1/mentor-statuses', { body: CREATE });
    assert.ok(noOp.error instanceof ProblemError);
    assert.equal(noOp.error.type, '/problems/no-op-transition');
    assert.equal(network.requests.length, 3);
  });

  it('retries GET and PUT after network errors, 503 and 429', async () => {
    const page = { data: [], pagination: { page: 1, limit: 20, total: 0 } };
    const network = fakeNetwork(networkError(), problem(429, 'about:blank'), json(200, page), problem(503, 'about:blank'), json(200, {}));
    const retries: RetryEvent[] = [];
    const api = client(network, { retry: { baseDelayMs: 0, onRetry: (event) => retries.push(event) } });
    assert.deepEqual((await api.GET('/api/v1/mentors')).data, page);
    assert.equal((await api.PUT('/api/v1/mentor-statuses/{id}', { params: { path: { id: 'msr_1' } }, body: { reason: 'x' } })).response.status, 200);
    assert.deepEqual(
      retries.map((event) => [event.method, event.attempt, event.reason]),
      [
        ['GET', 1, 'network'],
        ['GET', 2, 429],
        ['PUT', 1, 503],
      ],
    );
    assert.ok(retries[0]?.error instanceof TypeError);
    assert.equal(retries[0]?.url, `${BASE_URL}/api/v1/mentors`);
  });

  it('retries a DELETE after 429 and 503, which say it was not done, but not after a network error, which leaves it unknown', async () => {
    const path = { params: { path: { id: 'msr_1' } } };
    const done = fakeNetwork(problem(503, 'about:blank'), problem(429, 'about:blank'), json(200, { deleted: true }));
    assert.equal((await client(done).DELETE('/api/v1/mentor-statuses/{id}', path)).response.status, 200);
    assert.equal(done.requests.length, 3);

    const lost = fakeNetwork(networkError(), json(200, { deleted: true }));
    await assert.rejects(client(lost).DELETE('/api/v1/mentor-statuses/{id}', path), TypeError);
    assert.equal(lost.requests.length, 1);
  });

  it('waits as long as Retry-After says', async () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    const tooMany = json(429, { type: 'about:blank', title: 'Too Many Requests', status: 429, detail: 'slow down', instance: '/x' }, { 'retry-after': '7' });
    const timed = fakeNetwork(tooMany, json(201, CREATED));
    const delays: number[] = [];
    const api = client(timed, {
      retry: {
        onRetry: ({ delayMs }) => {
          delays.push(delayMs);
          // The wait starts right after this call; the mocked clock then runs through it at once.
          queueMicrotask(() => mock.timers.tick(delayMs));
        },
      },
    });
    const { response } = await api.POST('/api/v1/mentor-statuses', { body: CREATE });
    assert.equal(response.status, 201);
    assert.deepEqual(delays, [7_000]);
    assert.equal(Date.now(), 7_000);
  });

  it('stops at the attempt budget and gives the last answer as a ProblemError', async () => {
    const network = fakeNetwork(problem(503, 'about:blank'), problem(503, 'about:blank'), problem(503, '/problems/service-unavailable'));
    const { data, error } = await client(network, { retry: { maxAttempts: 3, baseDelayMs: 0 } }).GET('/api/v1/mentors');
    assert.equal(data, undefined);
    assert.ok(error instanceof ProblemError);
    assert.equal(error.status, 503);
    assert.equal(error.type, '/problems/service-unavailable');
    assert.equal(network.requests.length, 3);
  });

  it('throws the last network error once the attempts are spent', async () => {
    const last = new TypeError('third');
    const network = fakeNetwork(networkError(), networkError(), last);
    await assert.rejects(client(network, { retry: { maxAttempts: 3, baseDelayMs: 0 } }).GET('/api/v1/mentors'), (error) => error === last);
  });

  it('does not start a wait that would end past the time budget', async () => {
    const network = fakeNetwork(
      json(503, { type: 'about:blank', title: 'Unavailable', status: 503, detail: 'later', instance: '/x' }, { 'retry-after': '60' }),
    );
    const { error } = await client(network, { retry: { maxElapsedMs: 10_000 } }).GET('/api/v1/mentors');
    assert.equal(error?.status, 503);
    assert.equal(network.requests.length, 1);
  });

  it('makes one attempt with retry: false', async () => {
    const network = fakeNetwork(networkError());
    await assert.rejects(client(network, { retry: false }).GET('/api/v1/mentors'), TypeError);
    assert.equal(network.requests.length, 1);
  });

  it('stops waiting when the caller aborts', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const controller = new AbortController();
    const network = fakeNetwork(problem(503, 'about:blank'), json(200, {}));
    const api = client(network, { retry: { baseDelayMs: 1_000, onRetry: () => queueMicrotask(() => controller.abort()) } });
    await assert.rejects(api.GET('/api/v1/mentors', { signal: controller.signal }), { name: 'AbortError' });
    assert.equal(network.requests.length, 1);
  });
});

describe('the client package: consistency tokens', () => {
  const token = (value: string) => ({ 'consistency-token': value });
  const MENTOR = { mentor_id: 'mntr_1', full_name: 'A', chapter_id: 'chpt_1' };
  const read = (api: ReturnType<typeof client>) => api.GET('/api/v1/mentors/{mentor_id}', { params: { path: { mentor_id: 'mntr_1' } } });
  const sent = (network: ReturnType<typeof fakeNetwork>) => network.requests.map((request) => [request.method, request.headers.get('consistency-token')]);

  it('sends the greatest token of the answers on every later GET, and none on writes', async () => {
    const network = fakeNetwork(
      json(201, CREATED, token('0000000000000200')),
      json(200, MENTOR, token('0000000000000300')),
      // An older position, from a replica further behind: the greatest stays.
      json(200, MENTOR, token('0000000000000100')),
      json(200, MENTOR),
      json(201, CREATED, token('0000000100000000')),
      json(200, MENTOR),
    );
    const api = client(network);
    await api.POST('/api/v1/mentor-statuses', { body: CREATE });
    await read(api);
    await read(api);
    await read(api);
    await api.POST('/api/v1/mentor-statuses', { body: CREATE });
    await read(api);
    assert.deepEqual(sent(network), [
      ['POST', null],
      ['GET', '0000000000000200'],
      ['GET', '0000000000000300'],
      ['GET', '0000000000000300'],
      ['POST', null],
      ['GET', '0000000100000000'],
    ]);
  });

  it('keeps the token of an answer it retried after, and of a failed answer', async () => {
    const network = fakeNetwork(
      json(503, { type: 'about:blank', title: 'Unavailable', status: 503 }, token('0000000000000600')),
      json(200, MENTOR, token('0000000000000400')),
      json(404, { type: '/problems/not-found', title: 'Not found', status: 404 }, token('0000000000000700')),
      json(200, MENTOR),
    );
    const api = client(network);
    await read(api);
    await read(api);
    await read(api);
    assert.deepEqual(sent(network), [
      ['GET', null],
      ['GET', null],
      ['GET', '0000000000000600'],
      ['GET', '0000000000000700'],
    ]);
  });

  it('keeps none and sends none with consistency: false, and keeps a token the caller set', async () => {
    const network = fakeNetwork(json(201, CREATED, token('0000000000000200')), json(200, MENTOR), json(200, MENTOR));
    const api = client(network, { consistency: false });
    await api.POST('/api/v1/mentor-statuses', { body: CREATE });
    await read(api);
    await api.GET('/api/v1/mentors/{mentor_id}', { params: { path: { mentor_id: 'mntr_1' }, header: { 'Consistency-Token': '0000000000000001' } } });
    assert.deepEqual(sent(network).slice(1), [
      ['GET', null],
      ['GET', '0000000000000001'],
    ]);
  });

  it('shares the tokens of a ConsistencyTokens given to several clients, seeded or not', async () => {
    const tokens = new ConsistencyTokens('0000000000000010');
    const writer = fakeNetwork(json(201, CREATED, token('0000000000000700')));
    const reader = fakeNetwork(json(200, MENTOR), json(200, MENTOR));
    const readerApi = client(reader, { consistency: tokens });
    await read(readerApi);
    await client(writer, { consistency: tokens }).POST('/api/v1/mentor-statuses', { body: CREATE });
    await read(readerApi);
    assert.deepEqual(sent(reader), [
      ['GET', '0000000000000010'],
      ['GET', '0000000000000700'],
    ]);
    assert.equal(tokens.token, '0000000000000700');
  });
});

describe('ProblemError', () => {
  it('carries the problem members, its extension members, and narrows on status and type', async () => {
    const conflict = problem(409, '/problems/active-suppression-exists', { suppression_id: 'c3d4', detail: 'already suppressed' });
    const { error } = await client(fakeNetwork(conflict)).POST('/api/v1/mentor-suppressions', {
      body: { mentor_id: 'mntr_1', coordinator_id: 'coord_1', reason: 'conduct_review' },
    });
    assert.ok(error instanceof ProblemError && error.status === 409);
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'ProblemError');
    assert.equal(error.message, 'already suppressed');
    assert.equal(error.detail, 'already suppressed');
    assert.equal(error.instance, '/api/v1/x');
    assert.deepEqual(error.errors, []);
    assert.deepEqual(error.extensions, { suppression_id: 'c3d4' });
    assert.equal(error.suppression_id, 'c3d4');
    assert.deepEqual(JSON.parse(JSON.stringify(error)), {
      type: '/problems/active-suppression-exists',
      title: 'Problem',
      status: 409,
      detail: 'already suppressed',
      instance: '/api/v1/x',
      errors: [],
      suppression_id: 'c3d4',
    });
  });

  it('keeps the field errors of a validation problem', async () => {
    const invalid = problem(400, '/problems/validation-error', { errors: [{ field: 'limit', message: 'limit must not be greater than 100' }] });
    const { error } = await client(fakeNetwork(invalid)).GET('/api/v1/mentors', { params: { query: { limit: 100 } } });
    assert.deepEqual(error?.errors, [{ field: 'limit', message: 'limit must not be greater than 100' }]);
  });

  it('is made of answers that are not problem+json, or have no body, too', async () => {
    const html = new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway', headers: { 'content-type': 'text/html' } });
    const empty = new Response(null, { status: 500, statusText: 'Internal Server Error' });
    const api = client(fakeNetwork(html, empty));
    const gateway = (await api.GET('/api/v1/mentors')).error;
    assert.ok(gateway instanceof ProblemError);
    assert.deepEqual([gateway.type, gateway.title, gateway.status, gateway.detail], ['about:blank', 'Bad Gateway', 502, '<html>Bad gateway</html>']);
    const failed = (await api.GET('/api/v1/mentors')).error;
    assert.ok(failed instanceof ProblemError);
    assert.deepEqual([failed.status, failed.detail], [500, 'Internal Server Error']);
  });
});

describe('the list iterators', () => {
  const mentor = (n: number) => ({
    mentor_id: `mntr_${n}`,
    full_name: `Mentor ${n}`,
    chapter_id: 'chpt_1',
    certification_expires_at: null,
    created_at: '',
    updated_at: '',
  });

  it('follow next_cursor with the same filters and limit, and stop when it is null', async () => {
    const network = fakeNetwork(
      json(200, { data: [mentor(1), mentor(2)], pagination: { page: 1, limit: 2, total: 5, next_cursor: 'b' } }),
      json(200, { data: [mentor(3), mentor(4)], pagination: { page: 2, limit: 2, total: 5, next_cursor: 'd' } }),
      json(200, { data: [mentor(5)], pagination: { page: 3, limit: 2, total: 5, next_cursor: null } }),
    );
    const ids: string[] = [];
    for await (const item of client(network).items('/api/v1/mentors', { params: { query: { chapter_id: 'chpt_1', limit: 2 } } })) ids.push(item.mentor_id);
    assert.deepEqual(ids, ['mntr_1', 'mntr_2', 'mntr_3', 'mntr_4', 'mntr_5']);
    assert.deepEqual(
      network.requests.map((request) => new URL(request.url).search),
      ['?chapter_id=chpt_1&limit=2', '?chapter_id=chpt_1&limit=2&cursor=b', '?chapter_id=chpt_1&limit=2&cursor=d'],
    );
  });

  it('drop the page number they started from once they follow cursors', async () => {
    const network = fakeNetwork(
      json(200, { data: [mentor(3)], pagination: { page: 3, limit: 1, total: 4, next_cursor: 'x' } }),
      json(200, { data: [mentor(4)], pagination: { page: 4, limit: 1, total: 4, next_cursor: null } }),
    );
    const pages = [];
    for await (const page of client(network).pages('/api/v1/mentors', { params: { query: { page: 3, limit: 1 } } })) pages.push(page.pagination.page);
    assert.deepEqual(pages, [3, 4]);
    assert.deepEqual(
      network.requests.map((request) => new URL(request.url).search),
      ['?page=3&limit=1', '?limit=1&cursor=x'],
    );
  });

  it('count pages up to total when the answers have no next_cursor', async () => {
    const network = fakeNetwork(
      json(200, { data: [mentor(1), mentor(2)], pagination: { page: 1, limit: 2, total: 3 } }),
      json(200, { data: [mentor(3)], pagination: { page: 2, limit: 2, total: 3 } }),
    );
    const ids: string[] = [];
    for await (const item of client(network).items('/api/v1/mentors', { params: { query: { limit: 2 } } })) ids.push(item.mentor_id);
    assert.deepEqual(ids, ['mntr_1', 'mntr_2', 'mntr_3']);
    assert.deepEqual(
      network.requests.map((request) => new URL(request.url).search),
      ['?limit=2', '?limit=2&page=2'],
    );
  });

  it('stop at an empty page, whatever total says', async () => {
    const network = fakeNetwork(
      json(200, { data: [mentor(1)], pagination: { page: 1, limit: 1, total: 3 } }),
      json(200, { data: [], pagination: { page: 2, limit: 1, total: 3 } }),
    );
    const pages = [];
    for await (const page of client(network).pages('/api/v1/mentors', { params: { query: { limit: 1 } } })) pages.push(page.data.length);
    assert.deepEqual(pages, [1, 0]);
  });

  it('fill in path parameters, and throw the ProblemError of a failed page', async () => {
    const network = fakeNetwork(json(200, { data: [], pagination: { page: 1, limit: 20, total: 0 } }), problem(404, '/problems/not-found'));
    const api = client(network, { retry: false });
    const path = { params: { path: { chapter_id: 'chpt_9' } } };
    for await (const _ of api.items('/api/v1/chapters/{chapter_id}/mentors/active', path)) assert.fail('the chapter has no mentors');
    assert.equal(new URL(network.requests[0]?.url ?? '').pathname, '/api/v1/chapters/chpt_9/mentors/active');
    await assert.rejects(
      async () => {
        for await (const _ of api.items('/api/v1/chapters/{chapter_id}/mentors/paused', path)) assert.fail('no page');
      },
      (error) => error instanceof ProblemError && error.status === 404,
    );
  });
});
