import { createMentorStatusClient } from '@mentor-status/client';
import { importJWK, SignJWT, type JWK, type JWTPayload } from 'jose';
import type { AddressInfo } from 'node:net';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { AUDIENCE, OidcIssuer, ServiceClient, signingKey, startOidcIssuer } from '../support/oidc-issuer.js';
import { waitUntil } from '../support/poll.js';
import { assertProblem } from '../support/problem.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const ADMIN_KEY = 'admin-key-0123456789abcdef';
const WRITER: ServiceClient = { id: 'status-writer', secret: 'writer-secret-0123456789', scope: 'statuses:write mentors:write' };
const READER: ServiceClient = { id: 'suppressor', secret: 'suppressor-secret-0123456789', scope: 'suppressions:write' };
const MENTOR = 'mntr_tokens';

/** A token signed here, not by the issuer: each one breaks one rule. */
async function forged(key: JWK, payload: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iat: now, exp: now + 300, sub: 'status-writer', client_id: 'status-writer', scope: 'statuses:write', ...payload })
    .setProtectedHeader({ alg: key.alg!, kid: key.kid, typ: 'at+jwt', ...header })
    .sign(await importJWK(key, key.alg));
}

/** The parts of a compact JWS, base64url-encoded JSON turned back into objects. */
function encoded(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('access tokens of an OpenID provider', () => {
  let t: TestApp;
  let idp: OidcIssuer;
  let second: OidcIssuer;
  const records = async () => (await t.db.query('SELECT count(*)::int AS n FROM mentor_status_records')).rows[0].n as number;
  const write = (token: string, status: 'active' | 'paused' = 'paused') =>
    request(t.http)
      .post('/api/v1/mentor-statuses')
      .set('Authorization', `Bearer ${token}`)
      .send({ mentor_id: MENTOR, status, changed_by: 'status-writer', ...(status === 'paused' && { reason: 'Leave' }) });
  /** A write that changes the status each time, so that repeated valid writes are never no-ops. */
  let next: 'active' | 'paused' = 'paused';
  const toggle = async (token: string) => {
    const response = await write(token, next);
    if (response.status === 201) next = next === 'paused' ? 'active' : 'paused';
    return response;
  };

  before(async () => {
    idp = await startOidcIssuer({ clients: [WRITER, READER] });
    second = await startOidcIssuer({ clients: [WRITER] });
    t = await startTestApp({ API_KEYS: `admin:${ADMIN_KEY}`, OIDC_ISSUER: idp.issuer, OIDC_AUDIENCE: AUDIENCE });
    await request(t.http)
      .put(`/api/v1/mentors/${MENTOR}`)
      .set('Authorization', `Bearer ${ADMIN_KEY}`)
      .send({ full_name: 'Token Mentor', chapter_id: 'chpt_tokens' })
      .expect(201);
  });
  after(async () => {
    await t.close();
    await idp.stop();
    await second.stop();
  });

  it('the served document names the issuer for its token scheme, and Swagger UI obtains tokens there with PKCE', async () => {
    const document = (await request(t.http).get('/docs-json')).body;
    assert.deepEqual(document.components.securitySchemes.accessToken.type, 'openIdConnect');
    assert.equal(document.components.securitySchemes.accessToken.openIdConnectUrl, `${idp.issuer}/.well-known/openid-configuration`);
    assert.deepEqual(document.paths['/api/v1/mentor-statuses'].post.security, [{ apiKey: [] }, { accessToken: ['statuses:write'] }]);
    const init = await request(t.http).get('/docs/swagger-ui-init.js');
    assert.match(init.text, /"usePkceWithAuthorizationCodeGrant":\s*true/);
    assert.equal((await request(t.http).get('/docs/oauth2-redirect.html')).status, 200, 'where the issuer sends the browser back to');
    const page = await request(t.http).get('/docs/');
    assert.match(String(page.headers['content-security-policy']), new RegExp(`connect-src 'self' ${idp.issuer}(;|$)`));
  });

  it("a service's client-credentials token with the scope writes; API keys keep working beside it", async () => {
    const response = await toggle(await idp.serviceToken(WRITER));
    assert.equal(response.status, 201, JSON.stringify(response.body));
    const keyed = await request(t.http)
      .put(`/api/v1/mentors/${MENTOR}`)
      .set('Authorization', `Bearer ${ADMIN_KEY}`)
      .send({ full_name: 'Token Mentor', chapter_id: 'chpt_tokens' });
    assert.equal(keyed.status, 200);
  });

  it('the client package writes with the token its accessToken function returns, asked on each write', async () => {
    await t.app.listen(0, '127.0.0.1');
    let asked = 0;
    const token = await idp.serviceToken(WRITER);
    const client = createMentorStatusClient(`http://127.0.0.1:${(t.http.address() as AddressInfo).port}`, {
      retry: false,
      accessToken: () => {
        asked++;
        return Promise.resolve(token);
      },
    });
    const { data, response } = await client.POST('/api/v1/mentor-statuses', {
      body: { mentor_id: MENTOR, status: next, ...(next === 'paused' && { reason: 'Leave' }) },
    });
    assert.equal(response.status, 201);
    next = next === 'paused' ? 'active' : 'paused';
    assert.equal(data?.changed_by, WRITER.id);
    assert.equal(data?.recorded_by?.kind, 'token');
    assert.equal(asked, 1);
    await client.GET('/api/v1/mentor-statuses');
    assert.equal(asked, 1, 'reads are public: the token is not asked for');
  });

  it("a token's POSTs are idempotent per subject: the same Idempotency-Key replays the first answer", async () => {
    const token = await idp.serviceToken(WRITER);
    const body = { mentor_id: MENTOR, status: next, ...(next === 'paused' && { reason: 'Leave' }), changed_by: WRITER.id };
    const send = () => request(t.http).post('/api/v1/mentor-statuses').set('Authorization', `Bearer ${token}`).set('Idempotency-Key', 'token-key-1').send(body);
    const first = await send();
    assert.equal(first.status, 201, JSON.stringify(first.body));
    next = next === 'paused' ? 'active' : 'paused';
    const again = await send();
    assert.equal(again.status, 201);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(again.body.mentor_status_id, first.body.mentor_status_id);
  });

  it('a token without the scope the operation needs is 403 naming the scope, and writes nothing', async () => {
    const before = await records();
    const response = await write(await idp.serviceToken(READER));
    assertProblem(response, 403);
    assert.equal(response.body.type, '/problems/insufficient-scope');
    assert.equal(response.body.required_scope, 'statuses:write');
    assert.equal(response.headers['www-authenticate'], 'Bearer error="insufficient_scope", scope="statuses:write"');
    assert.equal(await records(), before);
  });

  describe('bad tokens: each 401 invalid_token with a description, nothing written', () => {
    const cases: [string, () => Promise<string>, RegExp][] = [
      ['expired', async () => forged(idp.keys[0], { iss: idp.issuer, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) - 120 }), /expired/],
      ['not yet valid', async () => forged(idp.keys[0], { iss: idp.issuer, aud: AUDIENCE, nbf: Math.floor(Date.now() / 1000) + 600 }), /not valid yet/],
      ['of another issuer (signed with the right key)', async () => forged(idp.keys[0], { iss: 'https://elsewhere.test', aud: AUDIENCE }), /another issuer/],
      ['for another audience', async () => forged(idp.keys[0], { iss: idp.issuer, aud: 'https://other-service.test' }), /not meant for this service/],
      ['from a second provider', async () => second.serviceToken(WRITER), /another issuer/],
      [
        'alg none',
        async () =>
          `${encoded({ alg: 'none', typ: 'at+jwt' })}.${encoded({ iss: idp.issuer, aud: AUDIENCE, sub: 'x', exp: Math.floor(Date.now() / 1000) + 300 })}.`,
        /algorithm/,
      ],
      [
        "HS256 with the issuer's public key as the secret",
        async () => {
          const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicKey } = idp.keys[0];
          const secret = new TextEncoder().encode(JSON.stringify(publicKey));
          const now = Math.floor(Date.now() / 1000);
          return new SignJWT({ iss: idp.issuer, aud: AUDIENCE, sub: 'x', scope: 'statuses:write', iat: now, exp: now + 300 })
            .setProtectedHeader({ alg: 'HS256', kid: publicKey.kid })
            .sign(secret);
        },
        /algorithm/,
      ],
      [
        'tampered payload',
        async () => {
          const [header, , signature] = (await idp.serviceToken(WRITER)).split('.');
          const now = Math.floor(Date.now() / 1000);
          return `${header}.${encoded({ iss: idp.issuer, aud: AUDIENCE, sub: 'status-writer', client_id: 'status-writer', scope: 'admin statuses:write', iat: now, exp: now + 300 })}.${signature}`;
        },
        /signature/,
      ],
      ['garbage', async () => 'not.a-jwt.at-all', /neither|cannot be read/],
    ];
    for (const [label, make, described] of cases) {
      it(label, async () => {
        const before = await records();
        const response = await write(await make());
        assertProblem(response, 401);
        assert.equal(response.body.type, '/problems/unauthorized');
        const challenge = String(response.headers['www-authenticate']);
        assert.match(challenge, /^Bearer error="invalid_token", error_description="[^"]+"$/);
        assert.match(challenge, described);
        assert.equal(await records(), before);
      });
    }

    it("a key the issuer never published (unknown kid): 401 once the service has refreshed the issuer's keys", async () => {
      const token = await forged(await signingKey(), { iss: idp.issuer, aud: AUDIENCE });
      let response: request.Response | undefined;
      // Within the refresh cooldown the service cannot tell a new key from a foreign one: 503, retry.
      await waitUntil(async () => (response = await write(token)).status !== 503, 'the unknown kid was looked up at the issuer', 15_000);
      assertProblem(response!, 401);
      assert.match(String(response!.headers['www-authenticate']), /no key of the issuer matches/);
    });
  });

  it('keys rotated at the issuer while the service runs: tokens signed with the new key verify without a restart', async () => {
    const rotated = [await signingKey('ES256'), ...idp.keys];
    await idp.stop();
    await idp.start(rotated);
    const token = await idp.serviceToken(WRITER);
    assert.equal(JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid, rotated[0].kid);
    let response: request.Response | undefined;
    await waitUntil(async () => (response = await toggle(token)).status !== 503, 'the new key was fetched', 15_000);
    assert.equal(response!.status, 201, JSON.stringify(response!.body));
  });

  it('the issuer down: tokens of keys fetched before keep verifying; a token of a new key is 503 with Retry-After, never 500', async () => {
    const known = await idp.serviceToken(WRITER);
    const keys = idp.keys;
    await idp.stop();
    try {
      assert.equal((await toggle(known)).status, 201);
      const unknown = await forged(await signingKey(), { iss: idp.issuer, aud: AUDIENCE });
      const response = await write(unknown);
      assertProblem(response, 503);
      assert.equal(response.body.type, '/problems/issuer-unavailable');
      assert.match(String(response.headers['retry-after']), /^\d+$/);
      assert.equal((await toggle(known)).status, 201);
    } finally {
      await idp.start(keys);
    }
  });
});

describe('an issuer that is down when the service starts', () => {
  it('tokens are 503 with Retry-After while it cannot be discovered, API keys work, and it is found once it answers', async () => {
    const idp = await startOidcIssuer({ clients: [WRITER] });
    const token = await idp.serviceToken(WRITER);
    await idp.stop();
    const t = await startTestApp({ API_KEYS: `admin:${ADMIN_KEY}`, OIDC_ISSUER: idp.issuer, OIDC_AUDIENCE: AUDIENCE });
    try {
      const profile = (authorization: string) =>
        request(t.http).put(`/api/v1/mentors/${MENTOR}`).set('Authorization', authorization).send({ full_name: 'Token Mentor', chapter_id: 'chpt_tokens' });
      const refused = await profile(`Bearer ${token}`);
      assertProblem(refused, 503);
      assert.ok(refused.headers['retry-after']);
      assert.equal((await profile(`Bearer ${ADMIN_KEY}`)).status, 201);
      await idp.start();
      await waitUntil(async () => (await profile(`Bearer ${token}`)).status === 200, 'the issuer was discovered', 15_000);
    } finally {
      await t.close();
      await idp.stop();
    }
  });
});
