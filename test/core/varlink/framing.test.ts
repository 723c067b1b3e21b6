import {describe, expect, test} from '@jest/globals';
import fc from 'fast-check';
import {FrameDecoder, FrameTooLargeError, encodeFrame} from '../../../core/varlink/framing.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('FrameDecoder', () => {
  test('several messages in one read', () => {
    const d = new FrameDecoder();
    expect(d.push(bytes('{"a":1}\0{"b":2}\0{"c"')).map(text)).toEqual(['{"a":1}', '{"b":2}']);
    expect(d.pendingBytes).toBe(4);
    expect(d.push(bytes(':3}\0')).map(text)).toEqual(['{"c":3}']);
    expect(d.pendingBytes).toBe(0);
  });

  test('one message over many reads, byte by byte, with multibyte UTF-8 split', () => {
    const d = new FrameDecoder();
    const wire = encodeFrame({s: 'żółw 🐢 ‮'});
    const out: Uint8Array[] = [];
    for (const b of wire) out.push(...d.push(Uint8Array.of(b)));
    expect(out).toHaveLength(1);
    expect(JSON.parse(new TextDecoder('utf-8', {fatal: true}).decode(out[0]))).toEqual({s: 'żółw 🐢 ‮'});
  });

  test('empty frames are returned as empty (the message layer rejects them)', () => {
    expect(new FrameDecoder().push(bytes('\0\0')).map(text)).toEqual(['', '']);
  });

  test('a partial message beyond the cap is refused before it is complete', () => {
    const d = new FrameDecoder(8);
    d.push(bytes('{"a":'));
    expect(() => d.push(bytes('1234'))).toThrow(FrameTooLargeError);
  });

  test('a complete message beyond the cap inside one read is refused', () => {
    expect(() => new FrameDecoder(4).push(bytes('{"a":1}\0'))).toThrow(FrameTooLargeError);
  });

  test('a message of exactly the cap is accepted', () => {
    expect(new FrameDecoder(7).push(bytes('{"a":1}\0'))).toHaveLength(1);
  });

  test.each([
    ['a Uint8Array', bytes],
    // Node's Buffer#slice is a view, not a copy: the decoder must copy all the same.
    ['a Node Buffer', (s: string) => Buffer.from(s)],
  ])('frames returned do not alias the caller buffer (%s)', (_kind, make) => {
    const d = new FrameDecoder();
    const buf = make('{"a":1}\0{"b"');
    const [frame] = d.push(buf);
    buf.fill(0x20);
    expect(text(frame!)).toBe('{"a":1}');
    expect(text(d.push(bytes(':2}\0'))[0]!)).toBe('{"b":2}');
  });

  test('property: any split of any message sequence yields the same frames', () => {
    fc.assert(fc.property(
      fc.array(fc.jsonValue().map((v) => ({v})), {maxLength: 8}),
      fc.array(fc.nat(), {maxLength: 20}),
      (messages, cuts) => {
        const wire = Buffer.concat(messages.map((m) => encodeFrame(m)));
        const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
        const d = new FrameDecoder();
        const got: unknown[] = [];
        let prev = 0;
        for (const p of [...points, wire.length]) {
          got.push(...d.push(wire.subarray(prev, p)).map((f) => JSON.parse(text(f))));
          prev = p;
        }
        expect(got).toEqual(JSON.parse(JSON.stringify(messages)));
        expect(d.pendingBytes).toBe(0);
      }));
  });
});

describe('encodeFrame', () => {
  test('property: the UTF-8 of the JSON text, then one NUL and no other (an escaped U+0000 included)', () => {
    fc.assert(fc.property(fc.jsonValue().map((v) => ({v, nul: 'a\u0000b'})), (message) => {
      const wire = encodeFrame(message);
      expect(wire.indexOf(0)).toBe(wire.length - 1);
      expect(text(wire.subarray(0, -1))).toBe(JSON.stringify(message));
    }));
  });
});
