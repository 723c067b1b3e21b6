import {describe, expect, test} from '@jest/globals';
import {execFileSync} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {readFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import fc from 'fast-check';
import {transform} from 'esbuild';
import {escapeMarkup, escapeTerminal, plainSummary} from '../../../core/clearance/escape.js';

const R = '\uFFFD';
/* eslint-disable no-control-regex -- matching control characters is what these tests are about */
const MARKUP_UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const TERMINAL_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;
const NEUTRALISED_IN_MARKUP =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]|[\ud800-\udfff]/gu;
/* eslint-enable no-control-regex */

const hostile = [
  '<b>bold</b> & <span foreground="red">x</span>',
  'evil\u202Egnp.exe',
  '\u2066isolate\u2069 \u200Emark\u200F \u061C',
  '\u001b[2J\u001b]0;title\u0007\u009b31m',
  'line\nbreak\r\ttab',
  'nul\u0000del\u007f',
  "quote's \"double\"",
  'lone \ud800 surrogate \udc00',
  'emoji \u{1F600} ok',
  'para\u2028graph\u2029',
  '&amp; already escaped',
];

describe('escapeMarkup', () => {
  test('the five markup characters', () => {
    expect(escapeMarkup(`<b onclick="x">Tom & Jerry's</b>`))
      .toBe('&lt;b onclick=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/b&gt;');
    expect(escapeMarkup('&amp;')).toBe('&amp;amp;');
  });

  test('controls, bidi and lone surrogates become U+FFFD; tab and newline stay (bodies have lines)', () => {
    expect(escapeMarkup('a\u0000b\u0008c\u000bd\u001be\u007ff\u0085g')).toBe(`a${R}b${R}c${R}d${R}e${R}f${R}g`);
    expect(escapeMarkup('a\tb\nc\rd')).toBe(`a\tb\nc${R}d`);
    expect(escapeMarkup('x\u202Ey\u2067z\u200Fw')).toBe(`x${R}y${R}z${R}w`);
    expect(escapeMarkup('a\ud800b')).toBe(`a${R}b`);
    expect(escapeMarkup('\u{1F600} café · ok')).toBe('\u{1F600} café · ok');
  });

  test('property: the result has no markup characters left unescaped', () => {
    fc.assert(fc.property(fc.string({unit: 'binary'}), (s) => {
      const out = escapeMarkup(s);
      expect(out).not.toMatch(/[<>"']|&(?!(amp|lt|gt|quot|#39);)/);
      expect(out).not.toMatch(MARKUP_UNSAFE);
    }));
  });
});

describe('plainSummary', () => {
  test('markup characters become look-alikes; controls and bidi as for a terminal', () => {
    expect(plainSummary('Blocked: <b>x</b> & "q" \u202E\n')).toBe('Blocked: \u2039b\u203Ax\u2039/b\u203A \uFF06 "q" ' + R + R);
  });

  test('property: nothing a terminal or a markup parser interprets survives', () => {
    fc.assert(fc.property(fc.string({unit: 'binary'}), (s) => {
      expect(plainSummary(s)).not.toMatch(TERMINAL_UNSAFE);
      expect(plainSummary(s)).not.toMatch(/[&<>]/);
    }));
  });
});

describe('escapeTerminal', () => {
  test('ESC sequences, C0, DEL and C1 are neutralised, newlines and tabs included', () => {
    expect(escapeTerminal('\u001b[31mred\u001b[0m')).toBe(`${R}[31mred${R}[0m`);
    expect(escapeTerminal('a\nb\r\tc\u0007\u007f\u009b\u0080')).toBe(`a${R}b${R}${R}c${R}${R}${R}${R}`);
  });

  test('bidi overrides, isolates, marks and separators are neutralised', () => {
    expect(escapeTerminal('\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069\u200E\u200F\u061C\u2028\u2029'))
      .toBe(R.repeat(14));
  });

  test('ordinary text, markup characters and paired astral characters are untouched', () => {
    expect(escapeTerminal('warp/t42 · build <b>&amp; \u{1F600} café')).toBe('warp/t42 · build <b>&amp; \u{1F600} café');
    expect(escapeTerminal('lone\udc00')).toBe(`lone${R}`);
  });

  test('property: nothing a terminal interprets survives', () => {
    fc.assert(fc.property(fc.string({unit: 'binary'}), (s) => {
      expect(escapeTerminal(s)).not.toMatch(TERMINAL_UNSAFE);
    }));
  });
});

// The real consumer: Pango's markup parser under gjs must accept every escaped string and show back exactly the text
// (with the neutralised characters as U+FFFD), so no wire string can inject markup or break a label.
test('Pango parses escaped hostile strings back to their plain text (real gjs)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'escape-pango-'));
  try {
    const source = await readFile(new URL('../../../core/clearance/escape.ts', import.meta.url), 'utf8');
    writeFileSync(join(dir, 'escape.js'), (await transform(source, {loader: 'ts', format: 'esm'})).code);
    writeFileSync(join(dir, 'inputs.json'), JSON.stringify(hostile));
    writeFileSync(join(dir, 'main.js'), `
      import Pango from 'gi://Pango';
      import GLib from 'gi://GLib';
      import {escapeMarkup} from './escape.js';
      const dir = GLib.path_get_dirname(import.meta.url.replace('file://', ''));
      const [, bytes] = GLib.file_get_contents(dir + '/inputs.json');
      const inputs = JSON.parse(new TextDecoder().decode(bytes));
      const out = inputs.map((s) => Pango.parse_markup(escapeMarkup(s), -1, '')[2]);
      print(JSON.stringify(out));
    `);
    const stdout = execFileSync('gjs', ['-m', join(dir, 'main.js')], {encoding: 'utf8'});
    const parsed = JSON.parse(stdout) as string[];
    const expected = hostile.map((s) => s.replace(NEUTRALISED_IN_MARKUP, R));
    expect(parsed).toEqual(expected);
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});
