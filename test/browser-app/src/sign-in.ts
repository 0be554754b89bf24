/** Where people sign in: the OpenID provider, this app's (public) client there, and the API's identifier at it. */
export interface SignInConfig {
  issuer: string;
  clientId: string;
  audience: string;
}

/** Only what the app writes needs. */
const SCOPE = 'openid statuses:write';
const PENDING = 'mss-sign-in';

const base64url = (bytes: ArrayBuffer | Uint8Array) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
const random = (length: number) => base64url(crypto.getRandomValues(new Uint8Array(length)));

/**
 * The signed-in person's access token, by authorization code with PKCE (RFC 7636): without a pending
 * sign-in the page leaves for the issuer's authorization endpoint (and this never settles); back
 * at the app's own origin with the code, it is exchanged at the token endpoint.
 */
export async function signIn(config: SignInConfig): Promise<string> {
  const metadata = (await (await fetch(`${config.issuer}/.well-known/openid-configuration`)).json()) as {
    issuer: string;
    authorization_endpoint: string;
    token_endpoint: string;
  };
  const redirectUri = `${location.origin}/`;
  const answer = new URLSearchParams(location.search);
  const pending = sessionStorage.getItem(PENDING);
  sessionStorage.removeItem(PENDING);

  if (pending !== null && answer.has('state')) {
    history.replaceState(null, '', redirectUri);
    const { state, verifier } = JSON.parse(pending) as { state: string; verifier: string };
    // The state ties the answer to this tab's request; `iss` (RFC 9207) to the issuer asked.
    if (answer.get('state') !== state || answer.get('iss') !== metadata.issuer) throw new Error('the sign-in answer is not for this request');
    const code = answer.get('code');
    if (code === null) throw new Error(`sign-in failed: ${answer.get('error')}: ${answer.get('error_description')}`);
    const response = await fetch(metadata.token_endpoint, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        code_verifier: verifier,
        client_id: config.clientId,
        resource: config.audience,
      }),
    });
    const tokens = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
    if (!response.ok || tokens.access_token === undefined) throw new Error(`no token: ${tokens.error}: ${tokens.error_description}`);
    return tokens.access_token;
  }

  const state = random(16);
  const verifier = random(32);
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PENDING, JSON.stringify({ state, verifier }));
  location.assign(
    `${metadata.authorization_endpoint}?${new URLSearchParams({
      response_type: 'code',
      client_id: config.clientId,
      redirect_uri: redirectUri,
      scope: SCOPE,
      resource: config.audience,
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }).toString()}`,
  );
  return new Promise<never>(() => {});
}
