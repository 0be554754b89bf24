/**
 * The contracts print every path as base + path, so a caller built literally from them asks for
 * `/api/v1/mentor-statuses/api/v1/...`. Such URLs are folded onto the canonical route before
 * routing, so one controller serves both forms and the doubled form never reaches the OpenAPI document.
 */
const DOUBLED_CONTRACT_BASE = /^\/api\/v1\/(?:mentor-statuses|mentor-suppressions)(?=\/api\/v1\/)/;

export function canonicalContractPath(url: string): string {
  return url.replace(DOUBLED_CONTRACT_BASE, '');
}
