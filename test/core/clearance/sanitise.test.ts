import {describe, expect, test} from '@jest/globals';
import fc from 'fast-check';
import {SANITISE_CAP, sanitise, sanitiseDossier} from '../../../core/clearance/sanitise.js';

const printable = /^[\x20-\x7e]*$/;

describe('sanitise', () => {
  test('printable ASCII passes through, & < > included (renderers escape)', () => {
    expect(sanitise('registry.example.net')).toBe('registry.example.net');
    expect(sanitise(' ~<b>&amp;"\'')).toBe(' ~<b>&amp;"\'');
    expect(sanitise('')).toBe('');
  });

  test('each character outside 0x20..0x7E becomes one space, in place', () => {
    expect(sanitise('a\nb\tc\x00d\x7fe\x1b[31mf')).toBe('a b c d e [31mf');
    expect(sanitise('caf\u00e9')).toBe('caf ');
    expect(sanitise('evil\u202Etxt.exe')).toBe('evil txt.exe');
    expect(sanitise('a\u00a0b\u0085c\u200bd')).toBe('a b c d');
  });

  test('an astral character is one code point, so one space; a lone surrogate is one space too', () => {
    expect(sanitise('a\u{1F600}b')).toBe('a b');
    expect(sanitise('a\ud800b\udc00c')).toBe('a b c');
  });

  test('cap: longer than the cap → first cap-3 characters and "..."', () => {
    expect(SANITISE_CAP).toBe(256);
    expect(sanitise('x'.repeat(256))).toBe('x'.repeat(256));
    expect(sanitise('x'.repeat(257))).toBe('x'.repeat(253) + '...');
    expect(sanitise('abcdef', 5)).toBe('ab...');
    expect(sanitise('abcde', 5)).toBe('abcde');
    // the cap counts characters after replacement: an astral character is one
    expect(sanitise('\u{1F600}'.repeat(5), 5)).toBe('     ');
    expect(sanitise('\u{1F600}'.repeat(6), 5)).toBe('  ...');
  });

  test('cap ≤ 3 → "..." cut to the cap', () => {
    expect(sanitise('abcd', 3)).toBe('...');
    expect(sanitise('abcd', 2)).toBe('..');
    expect(sanitise('abcd', 1)).toBe('.');
    expect(sanitise('abcd', 0)).toBe('');
    expect(sanitise('ab', 2)).toBe('ab');
    expect(sanitise('abcd', -5)).toBe('');
    expect(sanitise('abcd', NaN)).toBe('');
    expect(sanitise('abcd', 3.9)).toBe('...');
    expect(sanitise('x'.repeat(1000), Infinity)).toBe('x'.repeat(1000));
  });

  test('non-strings are stringified', () => {
    expect(sanitise(443)).toBe('443');
    expect(sanitise(true)).toBe('true');
    expect(sanitise(null)).toBe('');
    expect(sanitise(undefined)).toBe('');
    expect(sanitise(['a', 1])).toBe('["a",1]');
    expect(sanitise({k: 'v\n'})).toBe('{"k":"v\\n"}');
    expect(sanitise(10n)).toBe('10');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(sanitise(cyclic)).toBe('');
    expect(sanitise(() => 1)).toBe('');
  });

  test('a huge input is cut without reading all of it', () => {
    const huge = 'y'.repeat(10_000_000);
    const started = performance.now();
    for (let i = 0; i < 100; i++) sanitise(huge);
    expect(performance.now() - started).toBeLessThan(500);
    expect(sanitise(huge)).toHaveLength(256);
  });

  test('property: always printable ASCII, never longer than the cap, unchanged when already clean and short', () => {
    fc.assert(fc.property(fc.string({unit: 'binary'}), fc.integer({min: -2, max: 300}), (s, cap) => {
      const out = sanitise(s, cap);
      expect(out).toMatch(printable);
      expect(out.length).toBeLessThanOrEqual(Math.max(cap, 0));
    }));
    fc.assert(fc.property(fc.anything(), (x) => {
      expect(sanitise(x)).toMatch(printable);
    }));
    fc.assert(fc.property(fc.string({unit: fc.integer({min: 0x20, max: 0x7e}).map((c) => String.fromCharCode(c)),
      maxLength: 256}), (s) => {
      expect(sanitise(s)).toBe(s);
    }));
  });

  test('property: the same as replacing character by character, then capping (clean strings take a shortcut)', () => {
    const reference = (s: string, cap: number) => {
      const limit = cap >= 0 ? Math.floor(cap) : 0;
      const out = [...s].map((ch) => (ch.length === 1 && ch >= ' ' && ch <= '~' ? ch : ' ')).join('');
      if (out.length <= limit) return out;
      return limit <= 3 ? '...'.slice(0, limit) : out.slice(0, limit - 3) + '...';
    };
    fc.assert(fc.property(fc.oneof(fc.string(), fc.string({unit: 'binary'})),
      fc.oneof(fc.integer({min: -2, max: 24}), fc.constant(NaN), fc.constant(Infinity)),
      (s, cap) => expect(sanitise(s, cap)).toBe(reference(s, cap))), {numRuns: 2000});
  });

  test('property: idempotent', () => {
    fc.assert(fc.property(fc.string({unit: 'binary'}), (s) => {
      expect(sanitise(sanitise(s))).toBe(sanitise(s));
    }));
  });
});

describe('sanitiseDossier', () => {
  test('values stringified then sanitised; keys kept', () => {
    expect(sanitiseDossier({project: 'warp\n', port: 443, flag: false, none: null, list: [1]}))
      .toEqual({project: 'warp ', port: '443', flag: 'false', none: '', list: '[1]'});
  });

  test('non-objects give {}', () => {
    for (const x of [null, undefined, 'project', 1, true, ['a'], [['k', 'v']]]) expect(sanitiseDossier(x)).toEqual({});
  });

  test('hostile keys are sanitised like values; a collision keeps the first', () => {
    const dossier = sanitiseDossier({'na\u202eme': 'a', 'na\u0000me': 'b', ['k'.repeat(300)]: 'c'});
    expect(dossier).toEqual({'na me': 'a', ['k'.repeat(253) + '...']: 'c'});
  });

  test('__proto__ and constructor keys stay ordinary own data', () => {
    const dossier = sanitiseDossier(JSON.parse('{"__proto__":{"polluted":"yes"},"constructor":"c","name":"n"}'));
    expect(Object.keys(dossier)).toEqual(['__proto__', 'constructor', 'name']);
    expect(Object.getOwnPropertyDescriptor(dossier, '__proto__')?.value).toBe('{"polluted":"yes"}');
    expect(Object.getPrototypeOf(dossier)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('a custom cap applies to keys and values', () => {
    expect(sanitiseDossier({abcdef: 'ghijkl'}, 5)).toEqual({'ab...': 'gh...'});
  });

  test('property: every key and value printable ASCII within the cap', () => {
    fc.assert(fc.property(fc.dictionary(fc.string({unit: 'binary'}), fc.anything()), (x) => {
      for (const [k, v] of Object.entries(sanitiseDossier(x))) {
        expect(k).toMatch(printable);
        expect(v).toMatch(printable);
        expect(v.length).toBeLessThanOrEqual(256);
      }
    }));
  });
});
