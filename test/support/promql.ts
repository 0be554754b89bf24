/** Words of PromQL that are neither functions nor metrics. */
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/**
 * The metric names a PromQL expression reads: every bare identifier that is not a function or
 * aggregation (followed by `(`), a keyword, or part of a string, a label matcher `{…}`, a range or
 * subquery `[…]`, a label list (`by (…)`, `on (…)`, …) or an `offset`. Enough for the expressions
 * of alert rules and dashboards; `{__name__=…}` selectors are not understood.
 */
export function metricNames(expression: string): Set<string> {
  const text = expression
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\boffset\s+-?\w+/g, ' ');
  const names = new Set<string>();
  // Numbers first, so that the exponent of 1e3 or the digits of 0x1f are not taken for names.
  for (const match of text.matchAll(/\b(?:0x[0-9a-f]+|\d+(?:\.\d*)?(?:e[+-]?\d+)?)|([a-z_:][a-z0-9_:]*)/gi)) {
    const name = match[1];
    if (name === undefined || KEYWORDS.has(name.toLowerCase())) continue;
    if (/^\s*\(/.test(text.slice(match.index + name.length))) continue;
    names.add(name);
  }
  return names;
}
