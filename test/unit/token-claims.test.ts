import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { claimedScopes, grantsOf, isLoopbackHost, parseScopeMap } from '../../src/common/auth/token-claims.js';
import { ConfigError, loadConfig } from '../../src/common/config/app-config.js';
import type { FastifyRequest } from 'fastify';
import { setPrincipal, type Principal } from '../../src/common/auth/principal.js';
import { callerName } from '../../src/common/auth/write-auth.guard.js';

describe('access-token settings and claims', () => {
  it('takes an https issuer with an audience, and an http one only on a loopback host', () => {
    const config = loadConfig({ OIDC_ISSUER: 'https://login.example.org/realms/m', OIDC_AUDIENCE: 'mentor-status, other' });
    assert.equal(config.oidcIssuer, 'https://login.example.org/realms/m');
    assert.deepEqual(config.oidcAudience, ['mentor-status', 'other']);
    assert.equal(loadConfig({ OIDC_ISSUER: 'http://127.0.0.1:4000', OIDC_AUDIENCE: 'a' }).oidcIssuer, 'http://127.0.0.1:4000');
    assert.throws(() => loadConfig({ OIDC_ISSUER: 'http://login.example.org', OIDC_AUDIENCE: 'a' }), /OIDC_ISSUER must be an https:\/\/ URL/);
    assert.throws(() => loadConfig({ OIDC_ISSUER: 'https://login.example.org' }), /OIDC_ISSUER needs OIDC_AUDIENCE/);
    assert.throws(() => loadConfig({ READS_REQUIRE_AUTH: 'true' }), ConfigError);
    assert.equal(loadConfig({ READS_REQUIRE_AUTH: 'true', API_KEYS: 'a:0123456789abcdef0' }).readsRequireAuth, true);
  });

  it('knows loopback hosts', () => {
    for (const host of ['localhost', '127.0.0.1', '127.8.0.1', '[::1]']) assert.equal(isLoopbackHost(host), true, host);
    for (const host of ['example.org', '10.0.0.1', '128.0.0.1', '[::2]', 'localhost.example.org']) assert.equal(isLoopbackHost(host), false, host);
  });

  it('reads scopes as a space-separated string or an array, and maps them by name or through OIDC_SCOPE_MAP', () => {
    assert.deepEqual(claimedScopes('openid  statuses:write admin'), ['openid', 'statuses:write', 'admin']);
    assert.deepEqual(claimedScopes(['statuses:write', 3]), ['statuses:write']);
    assert.deepEqual(claimedScopes(undefined), []);
    assert.deepEqual([...grantsOf(['statuses:write', 'openid', 'act_as'], undefined)], ['statuses:write', 'act_as']);
    const map = parseScopeMap('api://m/Status.Write=statuses:write, api://m/All=admin,api://m/All=act_as');
    assert.deepEqual([...grantsOf(['api://m/Status.Write', 'statuses:write', 'api://m/All'], map)], ['statuses:write', 'admin', 'act_as']);
    assert.throws(() => parseScopeMap('a=write'), /maps a to write/);
    assert.throws(() => parseScopeMap('statuses:write'), /pairs/);
  });

  it('names a caller for idempotency scopes in at most 64 characters, keys and tokens apart', () => {
    const principal = (kind: Principal['kind'], id: string): FastifyRequest => {
      const request = {} as FastifyRequest;
      setPrincipal(request, { kind, id, clientId: null, scopes: new Set(), person: false, actAs: true, name: id, requestId: 'r' });
      return request;
    };
    assert.equal(callerName({} as FastifyRequest), undefined);
    assert.equal(callerName(principal('api_key', 'ops')), 'ops');
    assert.equal(callerName(principal('token', 'f3b1c7e2')), 'token:f3b1c7e2');
    const long = callerName(principal('token', 'x'.repeat(255)))!;
    assert.ok(long.length <= 64 && long.startsWith('token#'), long);
    assert.notEqual(long, callerName(principal('token', 'y'.repeat(255))));
  });
});
