// What a lasting decision covers: exactly one destination (a host name or an IP address, as the shield takes it),
// or a whole domain written "*.example.com", which covers example.com and every name under it. Names compare
// without case and without a trailing dot, as DNS does.

export type TargetPattern =
  | {readonly kind: 'exact'; readonly target: string}
  | {readonly kind: 'domain'; readonly suffix: string};

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function normaliseName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

export function isIpv4(text: string): boolean {
  return IPV4.test(text);
}

/** A plausible IPv6 address (hex groups and colons, at most one "::", optionally an IPv4 tail). */
export function isIpv6(text: string): boolean {
  if (!/^[0-9a-f:.]+$/i.test(text) || !text.includes(':') || text.split('::').length > 2) return false;
  const tail = text.includes('.') ? text.slice(text.lastIndexOf(':') + 1) : '';
  if (tail && !isIpv4(tail)) return false;
  const groups = (tail ? text.slice(0, text.lastIndexOf(':')) : text).split(':');
  const filled = groups.filter((g) => g !== '');
  if (!filled.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return false;
  const max = tail ? 6 : 8;
  return text.includes('::') ? filled.length < max : filled.length === max;
}

export function isHostName(text: string): boolean {
  if (text.length > 253 || isIpv4(text)) return false;
  const labels = text.split('.');
  return labels.every((l) => LABEL.test(l)) && !/^\d+$/.test(labels[labels.length - 1]!);
}

/** The pattern written as `text`, or a reason it is not one. A domain pattern needs two labels: no "*.com". */
export function parsePattern(text: string): {pattern: TargetPattern} | {error: string} {
  const t = normaliseName(text);
  if (t.startsWith('*.')) {
    const suffix = t.slice(2);
    if (!isHostName(suffix)) return {error: `"${text}" is not *. followed by a domain name`};
    if (!suffix.includes('.')) return {error: `"${text}" would cover a whole top-level domain`};
    return {pattern: {kind: 'domain', suffix}};
  }
  if (isIpv4(t) || isIpv6(t) || isHostName(t)) return {pattern: {kind: 'exact', target: t}};
  return {error: `"${text}" is neither a host name, an IP address nor *.domain`};
}

export function patternText(pattern: TargetPattern): string {
  return pattern.kind === 'exact' ? pattern.target : `*.${pattern.suffix}`;
}

/** Whether `pattern` covers a block of `dest` (the IP) with `domain` (the name the reader knew, or ""). */
export function patternCovers(pattern: TargetPattern, dest: string, domain: string): boolean {
  const name = normaliseName(domain);
  if (pattern.kind === 'exact') return pattern.target === name || pattern.target === normaliseName(dest);
  return name === pattern.suffix || name.endsWith(`.${pattern.suffix}`);
}

/**
 * The whole-domain pattern a prompt offers for `domain`: its parent ("registry.pkgs.example" → "*.pkgs.example"), or the
 * name itself when the parent would be a top-level domain ("pkgs.example" → "*.pkgs.example"); null for an IP or no name.
 */
export function domainPatternFor(domain: string): string | null {
  const name = normaliseName(domain);
  if (!isHostName(name) || !name.includes('.')) return null;
  const parent = name.slice(name.indexOf('.') + 1);
  return `*.${parent.includes('.') ? parent : name}`;
}

/** Every suffix a domain pattern could be keyed by for `name`, longest first: a.b.c → a.b.c, b.c, c. */
export function nameSuffixes(name: string): string[] {
  const n = normaliseName(name);
  if (n === '') return [];
  const out = [n];
  for (let i = n.indexOf('.'); i !== -1; i = n.indexOf('.', i + 1)) out.push(n.slice(i + 1));
  return out;
}
