import { Logger } from '@nestjs/common';
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { AppConfig } from '../config/app-config.js';
import type { Principal } from './principal.js';
import { apiScopesOf, claimedScopes, grantsOf, isLoopbackHost } from './token-claims.js';

/** Signatures of public keys only: never `none`, never an HMAC that a public key could be passed off as the secret of. */
const ALGORITHMS = ['RS256', 'ES256', 'EdDSA'];
/** Clocks of the issuer and the service may differ by this much. */
const CLOCK_TOLERANCE_SECONDS = 30;
/** At most one discovery or JWKS refresh in this long; it is also the Retry-After of a token the service cannot check yet. */
export const ISSUER_RETRY_MS = 5_000;
const FETCH_TIMEOUT_MS = 3_000;
/** Longest `sub`, `client_id` or subject claim that is taken. */
export const MAX_NAME_LENGTH = 255;
/** Three base64url segments: the shape of a JWS in compact serialisation. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** A token that is not valid here: bad, expired, foreign. Answered 401 with `error_description`. */
export class TokenRejected extends Error {}

/** The issuer could not be asked for what the token needs (its keys): answered 503 with Retry-After. */
export class IssuerUnavailable extends Error {}

/** Whether a Bearer value has the shape of a JWT; an API key is matched first, so a key of that shape stays a key. */
export function looksLikeJwt(value: string): boolean {
  return JWT_SHAPE.test(value);
}

function isFetchFailure(error: unknown): boolean {
  // jose's own fetch errors: a timeout, or a generic JOSEError for a non-200 answer or an unreadable body; anything not jose's is the network's.
  return !(error instanceof errors.JOSEError) || error.code === 'ERR_JWKS_TIMEOUT' || error.code === 'ERR_JOSE_GENERIC';
}

function description(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf' || error.claim === 'iat') return 'the token is not valid yet';
    if (error.claim === 'iss') return 'the token is from another issuer';
    if (error.claim === 'aud') return 'the token is not meant for this service (aud)';
    return `the token's ${error.claim} claim is not valid`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return `the token's signature algorithm is not accepted (only ${ALGORITHMS.join(', ')})`;
  if (error instanceof errors.JWKSNoMatchingKey) return "no key of the issuer matches the token's kid";
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the signature does not verify';
  return 'the token cannot be read as a signed JWT';
}

/**
 * Verifies access tokens of OIDC_ISSUER with jose. The issuer's discovery document names its JWKS;
 * the JWKS is fetched when first needed and again for an unknown `kid` (a key rotation), at most
 * once per ISSUER_RETRY_MS. While the issuer does not answer, the keys fetched before keep
 * verifying; a token signed with any other key cannot be checked then and is IssuerUnavailable.
 */
export class AccessTokens {
  private readonly logger = new Logger('AccessTokens');
  private keys?: JWTVerifyGetKey;
  private discovery?: Promise<JWTVerifyGetKey>;
  private lastDiscoveryFailure = -Infinity;

  constructor(private readonly config: AppConfig & { oidcIssuer: string }) {}

  /** Starts discovery at boot, so that the first token does not wait for it; an issuer that is down then is only logged. */
  warmUp(): void {
    this.keySource().catch(() => undefined);
  }

  async verify(token: string): Promise<Omit<Principal, 'requestId'>> {
    // A token of another issuer is refused before its kid can send the service to fetch keys (verified again below, once signed).
    let claimedIssuer: unknown;
    try {
      claimedIssuer = decodeJwt(token).iss;
    } catch {
      throw new TokenRejected('the token cannot be read as a JWT');
    }
    if (claimedIssuer !== this.config.oidcIssuer) throw new TokenRejected('the token is from another issuer');
    const keys = await this.keySource();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: this.config.oidcIssuer,
        audience: this.config.oidcAudience,
        algorithms: ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      if (error instanceof IssuerUnavailable) throw error;
      throw new TokenRejected(description(error));
    }
    return this.principal(payload);
  }

  private principal(payload: JWTPayload): Omit<Principal, 'requestId'> {
    const text = (claim: string) => (typeof payload[claim] === 'string' && payload[claim] !== '' ? payload[claim] : undefined);
    const clientId = text('client_id') ?? text('azp') ?? null;
    const subject = text('sub') ?? clientId;
    if (subject === null) throw new TokenRejected('the token names neither a subject (sub) nor a client (client_id)');
    const claim = this.config.oidcScopeClaim;
    const scopes = claimedScopes(claim === undefined ? (payload.scope ?? payload.scp) : payload[claim]);
    const grants = grantsOf(scopes, this.config.oidcScopeMap);
    const person = this.config.oidcPersonClaim === undefined ? subject !== clientId : payload[this.config.oidcPersonClaim] !== undefined;
    const name = text(this.config.oidcSubjectClaim);
    if (name === undefined) throw new TokenRejected(`the token has no ${this.config.oidcSubjectClaim} claim to name its author by`);
    return { kind: 'token', id: subject, clientId, scopes: apiScopesOf(grants), person, actAs: !person && grants.has('act_as'), name };
  }

  /** The issuer's keys, discovering them first; while discovery fails, once per ISSUER_RETRY_MS, IssuerUnavailable. */
  private keySource(): Promise<JWTVerifyGetKey> {
    if (this.keys) return Promise.resolve(this.keys);
    if (!this.discovery) {
      if (Date.now() - this.lastDiscoveryFailure < ISSUER_RETRY_MS) return Promise.reject(new IssuerUnavailable('the issuer was not reachable'));
      this.discovery = this.discover().then(
        (keys) => (this.keys = keys),
        (error: unknown) => {
          this.lastDiscoveryFailure = Date.now();
          this.discovery = undefined;
          this.logger.warn(`cannot read the discovery document of ${this.config.oidcIssuer}: ${(error as Error).message}`);
          throw new IssuerUnavailable('the issuer was not reachable');
        },
      );
    }
    return this.discovery;
  }

  private async discover(): Promise<JWTVerifyGetKey> {
    const issuer = this.config.oidcIssuer;
    const response = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, {
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      redirect: 'error',
      headers: { accept: 'application/json' },
    });
    if (response.status !== 200) throw new Error(`it answered ${response.status}`);
    const metadata = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
    if (metadata.issuer !== issuer) throw new Error(`it names the issuer ${String(metadata.issuer)}, not ${issuer}`);
    if (typeof metadata.jwks_uri !== 'string') throw new Error('it names no jwks_uri');
    const jwksUri = new URL(metadata.jwks_uri);
    if (jwksUri.protocol !== 'https:' && !(jwksUri.protocol === 'http:' && isLoopbackHost(jwksUri.hostname))) {
      throw new Error(`its jwks_uri ${jwksUri.href} is not https://`);
    }
    const remote = createRemoteJWKSet(jwksUri, { cooldownDuration: ISSUER_RETRY_MS, timeoutDuration: FETCH_TIMEOUT_MS });
    return async (header, token) => {
      // Outside the cooldown an unknown kid makes jose fetch the keys again; within it, the key may be one the issuer has only just published.
      const refreshable = !remote.coolingDown;
      try {
        return await remote(header, token);
      } catch (error) {
        if (error instanceof errors.JWKSNoMatchingKey && !refreshable) {
          throw new IssuerUnavailable("the token's key is not among the issuer's keys fetched a moment ago; they are fetched again shortly");
        }
        if (!isFetchFailure(error)) throw error;
        const cached = remote.jwks();
        this.logger.warn(`cannot fetch the keys of ${issuer}: ${(error as Error).message}${cached ? '; verifying with the keys fetched before' : ''}`);
        if (!cached) throw new IssuerUnavailable('the issuer was not reachable');
        try {
          return await createLocalJWKSet(cached)(header, token);
        } catch (lookup) {
          if (lookup instanceof errors.JWKSNoMatchingKey) throw new IssuerUnavailable("the token's key is new, and the issuer was not reachable");
          throw lookup;
        }
      }
    };
  }
}
