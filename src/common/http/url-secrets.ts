/** Query parameters that clients use to pass credentials; matched without regard to case. */
const SECRET_PARAMETERS = new Set(['access_token', 'api_key', 'key', 'token']);

export const REDACTED = '[REDACTED]';

function parameterName(pair: string): string {
  const name = pair.split('=', 1)[0];
  try {
    return decodeURIComponent(name.replace(/\+/g, ' ')).toLowerCase();
  } catch {
    return name.toLowerCase();
  }
}

/**
 * The URL with the values of credential-like query parameters replaced, so that a secret a
 * client put in the query string never reaches a log line or an answer's `instance`.
 */
export function redactUrlSecrets(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return url;
  const query = url
    .slice(queryStart + 1)
    .split('&')
    .map((pair) => (pair.includes('=') && SECRET_PARAMETERS.has(parameterName(pair)) ? `${pair.split('=', 1)[0]}=${REDACTED}` : pair))
    .join('&');
  return `${url.slice(0, queryStart + 1)}${query}`;
}
