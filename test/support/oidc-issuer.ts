import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { errors } from 'oidc-provider';
import { API_SCOPES } from '../../src/common/auth/api-keys.js';

/** The audience (resource indicator) the test service is configured with. */
export const AUDIENCE = 'https://mentor-status.test/api';
/** Every scope the test issuer knows: the service's own, and leave to act for someone. */
export const ISSUER_SCOPES = [...API_SCOPES, 'act_as'];
/** A public client (no secret) that obtains a person's token by authorization code with PKCE. */
export const BROWSER_CLIENT = 'browser-app';

export interface ServiceClient {
  id: string;
  secret: string;
  /** The scopes it may ask for. */
  scope: string;
}

/** A signing key as the issuer publishes it (public and private parts, and a kid). */
export async function signingKey(alg: 'RS256' | 'ES256' | 'EdDSA' = 'RS256'): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(privateKey)), alg, use: 'sig', kid: `${alg}-${Math.random().toString(36).slice(2, 10)}` };
}

export interface OidcIssuer {
  issuer: string;
  /** The keys it signs with, the first one signing. */
  keys: JWK[];
  /** An access token for `client` (client credentials, for AUDIENCE), with `scope` or every scope the client may have. */
  serviceToken(client: ServiceClient, scope?: string): Promise<string>;
  /**
   * A person's access token for AUDIENCE, as BROWSER_CLIENT gets it: authorization code with PKCE,
   * `user` signing in and consenting on the issuer's own pages (driven here over HTTP).
   */
  personToken(user: string, scope?: string): Promise<string>;
  /** Stops it; `start` again, with other keys if given, on the same address. */
  stop(): Promise<void>;
  start(keys?: JWK[]): Promise<void>;
}

/**
 * A real OpenID provider (`oidc-provider`) on loopback: discovery, JWKS, client credentials for
 * `clients`, and authorization code with PKCE for BROWSER_CLIENT (its login page accepts any
 * user name, as `devInteractions` has it), which may call the token endpoint from the origins of
 * its `redirectUris`. Access tokens for AUDIENCE are JWTs (RFC 9068).
 */
export async function startOidcIssuer(options: { clients: ServiceClient[]; redirectUris?: string[]; port?: number; keys?: JWK[] }): Promise<OidcIssuer> {
  let server: Server | undefined;
  let port = options.port ?? 0;
  let issuer = '';
  const state: { keys: JWK[] } = { keys: options.keys ?? [await signingKey()] };

  const provider = (keys: JWK[]) => {
    const made = new Provider(issuer, {
      clients: [
        ...options.clients.map((client) => ({
          client_id: client.id,
          client_secret: client.secret,
          grant_types: ['client_credentials'],
          response_types: [],
          redirect_uris: [],
          scope: client.scope,
        })),
        {
          client_id: BROWSER_CLIENT,
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code'],
          response_types: ['code'],
          redirect_uris: options.redirectUris ?? ['http://127.0.0.1/callback'],
          scope: `openid ${API_SCOPES.join(' ')}`,
        },
      ],
      jwks: { keys: keys },
      scopes: ['openid', ...ISSUER_SCOPES],
      pkce: { required: () => true },
      // A browser app (a public client) may call the token endpoint from the origin it is redirected back to.
      clientBasedCORS: (_ctx, origin, client) =>
        client.clientAuthMethod === 'none' && (client.redirectUris ?? []).some((uri) => new URL(uri).origin === origin),
      features: {
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => AUDIENCE,
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx, resource) => {
            if (resource !== AUDIENCE) throw new errors.InvalidTarget();
            return {
              scope: ISSUER_SCOPES.join(' '),
              audience: AUDIENCE,
              accessTokenTTL: 600,
              accessTokenFormat: 'jwt',
              jwt: { sign: { alg: keys[0].alg as 'RS256' } },
            };
          },
        },
      },
      // A person's tokens name the client as client_id and the person as sub.
      findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
    });
    made.on('server_error', (_ctx, error) => console.error('oidc-provider:', error));
    return made;
  };

  const start = async (keys?: JWK[]) => {
    if (keys) state.keys = keys;
    const listening = createServer();
    await new Promise<void>((resolve) => listening.listen(port, '127.0.0.1', resolve));
    port = (listening.address() as AddressInfo).port;
    issuer = `http://127.0.0.1:${port}`;
    const handle = provider(state.keys).callback();
    // No kept-alive connections: a client must not reuse one that a stop has cut.
    listening.on('request', (request, response) => {
      response.setHeader('connection', 'close');
      void handle(request, response);
    });
    server = listening;
  };

  const stop = async () => {
    const stopping = server;
    server = undefined;
    if (!stopping) return;
    stopping.closeAllConnections();
    await new Promise<void>((resolve, reject) => stopping.close((error) => (error ? reject(error) : resolve())));
  };

  await start();
  return {
    get issuer() {
      return issuer;
    },
    get keys() {
      return state.keys;
    },
    start,
    stop,
    async personToken(user, scope = API_SCOPES.join(' ')) {
      const redirectUri = (options.redirectUris ?? ['http://127.0.0.1/callback'])[0];
      const verifier = randomBytes(32).toString('base64url');
      const cookies = new Map<string, string>();
      const go = async (url: string, init: RequestInit = {}) => {
        const cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
        const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie } });
        for (const set of response.headers.getSetCookie()) {
          const [pair] = set.split(';');
          cookies.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
        }
        const location = response.headers.get('location');
        if (location === null) throw new Error(`the issuer answered ${response.status} at ${url}: ${await response.text()}`);
        return new URL(location, issuer);
      };
      let next = await go(
        `${issuer}/auth?${new URLSearchParams({
          client_id: BROWSER_CLIENT,
          response_type: 'code',
          redirect_uri: redirectUri,
          scope: `openid ${scope}`,
          resource: AUDIENCE,
          code_challenge: createHash('sha256').update(verifier).digest('base64url'),
          code_challenge_method: 'S256',
        }).toString()}`,
      );
      // Sign in, then consent: each an interaction page whose form posts back to its own URL.
      while (!next.href.startsWith(redirectUri)) {
        if (!next.pathname.startsWith('/interaction/')) {
          next = await go(next.href);
          continue;
        }
        const page = await (await fetch(next.href, { headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') } })).text();
        const prompt = page.includes('name="prompt" value="login"') ? 'login' : 'consent';
        const form = new URLSearchParams(prompt === 'login' ? { prompt, login: user, password: 'any' } : { prompt });
        next = await go(next.href, { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      }
      const code = next.searchParams.get('code');
      if (!code) throw new Error(`no code in ${next.href}`);
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: redirectUri,
          code_verifier: verifier,
          client_id: BROWSER_CLIENT,
          resource: AUDIENCE,
        }),
      });
      const body = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
      if (!body.access_token) throw new Error(`the issuer refused a token: ${body.error}: ${body.error_description}`);
      return body.access_token;
    },
    async serviceToken(client, scope) {
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource: AUDIENCE, scope: scope ?? client.scope }),
      });
      const body = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
      if (!body.access_token) throw new Error(`the issuer refused a token: ${body.error}: ${body.error_description}`);
      return body.access_token;
    },
  };
}
