import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/common/config/app-config.js';
import { WebhookAddressPolicy } from '../../src/webhooks/webhook-address-policy.js';
import { outcomeOfStatus, retryAfterMs, retryDelayMs } from '../../src/webhooks/webhook-retry-policy.js';

describe('webhook retry policy', () => {
  it('retries 408, 429 and 5xx, gives up on other 4xx and 3xx, and delivers on 2xx', () => {
    assert.deepEqual(
      [200, 204, 301, 400, 404, 408, 410, 429, 500, 503].map((status) => outcomeOfStatus(status, undefined).kind),
      ['delivered', 'delivered', 'permanent', 'permanent', 'permanent', 'retryable', 'permanent', 'retryable', 'retryable', 'retryable'],
    );
    assert.deepEqual(outcomeOfStatus(429, 5_000), { kind: 'retryable', retryAfterMs: 5_000 });
    assert.deepEqual(outcomeOfStatus(500, 5_000), { kind: 'retryable', retryAfterMs: undefined });
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = new Date('2026-03-01T00:00:00Z');
    assert.equal(retryAfterMs('120', now), 120_000);
    assert.equal(retryAfterMs('Sun, 01 Mar 2026 00:01:00 GMT', now), 60_000);
    assert.equal(retryAfterMs('soon', now), undefined);
    assert.equal(retryAfterMs(undefined, now), undefined);
  });

  it('doubles the delay per attempt up to the cap, jittered within its upper half, and never below Retry-After', () => {
    const schedule = { baseMs: 1_000, maxMs: 60_000 };
    assert.deepEqual(
      [1, 2, 3, 4, 10].map((attempt) => retryDelayMs(attempt, schedule, undefined, () => 1)),
      [1_000, 2_000, 4_000, 8_000, 60_000],
    );
    assert.equal(
      retryDelayMs(3, schedule, undefined, () => 0),
      2_000,
    );
    assert.equal(
      retryDelayMs(1, schedule, 30_000, () => 0),
      30_000,
    );
    assert.equal(
      retryDelayMs(1, schedule, 10 * 86_400_000, () => 0),
      86_400_000,
      'a Retry-After longer than a day is cut to a day',
    );
  });
});

describe('webhook address policy', () => {
  const policy = (env: Record<string, string> = {}) => new WebhookAddressPolicy(loadConfig(env));

  it('refuses loopback, private, link-local, metadata and reserved literals, IPv4 in IPv6 included', async () => {
    for (const url of [
      'https://127.0.0.1/',
      'https://10.0.0.1/',
      'https://172.31.255.255/',
      'https://192.168.0.1/',
      'https://169.254.169.254/',
      'https://100.100.100.200/',
      'https://[fd00:ec2::254]/',
      'https://[::1]/',
      'https://[::ffff:10.0.0.1]/',
      'https://[64:ff9b::a00:1]/',
      'https://[ff02::1]/',
    ]) {
      assert.match((await policy().refusal(url)) ?? '', /address/, url);
      assert.ok(policy().refusesLiteral(new URL(url)), url);
    }
  });

  it('accepts public literals, and refused ones whose host is listed in WEBHOOK_ALLOWED_HOSTS', async () => {
    assert.equal(await policy().refusal('https://8.8.8.8/hook'), undefined);
    assert.equal(await policy().refusal('https://[2606:4700::1111]/hook'), undefined);
    const allowing = policy({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1,[::1]', WEBHOOK_ALLOW_HTTP: 'true' });
    assert.equal(await allowing.refusal('http://127.0.0.1:9/hook'), undefined);
    assert.equal(await allowing.refusal('http://[::1]:9/hook'), undefined);
    assert.equal(allowing.refusesLiteral(new URL('http://127.0.0.1:9/')), undefined);
    assert.match((await allowing.refusal('http://127.0.0.2/hook')) ?? '', /127\.0\.0\.2/);
  });

  it('takes https only, unless WEBHOOK_ALLOW_HTTP', async () => {
    assert.match((await policy().refusal('http://8.8.8.8/')) ?? '', /WEBHOOK_ALLOW_HTTP/);
    assert.equal(await policy({ WEBHOOK_ALLOW_HTTP: 'true' }).refusal('http://8.8.8.8/'), undefined);
  });

  it('refuses a name that resolves to a refused address when connecting, and passes it where the host is allowed', async () => {
    const lookup = (candidate: WebhookAddressPolicy, host: string) =>
      new Promise<string>((resolve) => candidate.lookup(host, { all: true }, (error, address) => resolve(error ? error.message : JSON.stringify(address))));
    assert.match(await lookup(policy(), 'localhost'), /resolves to .* which webhooks may not reach/);
    assert.match(await lookup(policy({ WEBHOOK_ALLOWED_HOSTS: 'localhost' }), 'localhost'), /127\.0\.0\.1|::1/);
  });
});
