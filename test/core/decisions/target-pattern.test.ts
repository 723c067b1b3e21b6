import {expect, test} from '@jest/globals';
import {
  domainPatternFor, isIpv6, nameSuffixes, parsePattern, patternCovers, patternText,
} from '../../../core/decisions/target-pattern.js';

const pattern = (text: string) => {
  const p = parsePattern(text);
  if ('error' in p) throw new Error(p.error);
  return p.pattern;
};

test('exact targets: names, IPv4, IPv6, normalised', () => {
  expect(pattern('Registry.PKGS.Example.')).toEqual({kind: 'exact', target: 'registry.pkgs.example'});
  expect(pattern('198.51.100.7')).toEqual({kind: 'exact', target: '198.51.100.7'});
  expect(pattern('2001:db8::1')).toEqual({kind: 'exact', target: '2001:db8::1'});
  expect(pattern('localhost')).toEqual({kind: 'exact', target: 'localhost'});
});

test('domain patterns cover the domain and every name under it, never a top-level domain', () => {
  const p = pattern('*.pkgs.example');
  expect(patternText(p)).toBe('*.pkgs.example');
  expect(patternCovers(p, '1.2.3.4', 'pkgs.example')).toBe(true);
  expect(patternCovers(p, '1.2.3.4', 'registry.pkgs.example')).toBe(true);
  expect(patternCovers(p, '1.2.3.4', 'a.b.PKGS.example.')).toBe(true);
  expect(patternCovers(p, '1.2.3.4', 'evilpkgs.example')).toBe(false);
  expect(patternCovers(p, '1.2.3.4', '')).toBe(false);
  expect('error' in parsePattern('*.com')).toBe(true);
  expect('error' in parsePattern('*.*.example.com')).toBe(true);
  expect('error' in parsePattern('*.1.2.3')).toBe(true);
});

test('exact covers by name or by IP', () => {
  expect(patternCovers(pattern('198.51.100.7'), '198.51.100.7', 'x.example')).toBe(true);
  expect(patternCovers(pattern('x.example'), '198.51.100.7', 'X.example')).toBe(true);
  expect(patternCovers(pattern('x.example'), '198.51.100.7', 'y.x.example')).toBe(false);
});

test('not targets', () => {
  for (const bad of ['', ' ', '-x.org', 'a..b', 'a b', '256.1.1.1', '1.2.3', 'x.org:443', '198.51.100.0/24',
    '<b>x</b>', 'a'.repeat(64) + '.org', '1:2:3', '::1::2', 'example.123']) {
    expect('error' in parsePattern(bad)).toBe(true);
  }
  expect(isIpv6('::1')).toBe(true);
  expect(isIpv6('::ffff:198.51.100.7')).toBe(true);
  expect(isIpv6('1:2:3:4:5:6:7:8')).toBe(true);
  expect(isIpv6('1:2:3:4:5:6:7:8:9')).toBe(false);
});

test('the whole-domain choice a prompt offers', () => {
  expect(domainPatternFor('registry.pkgs.example')).toBe('*.pkgs.example');
  expect(domainPatternFor('pkgs.example')).toBe('*.pkgs.example');
  expect(domainPatternFor('a.b.c.example.net')).toBe('*.b.c.example.net');
  expect(domainPatternFor('198.51.100.7')).toBeNull();
  expect(domainPatternFor('')).toBeNull();
  expect(domainPatternFor('localhost')).toBeNull();
});

test('suffixes, longest first', () => {
  expect(nameSuffixes('A.b.c.')).toEqual(['a.b.c', 'b.c', 'c']);
  expect(nameSuffixes('')).toEqual([]);
});
