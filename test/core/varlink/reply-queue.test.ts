import {describe, expect, test} from '@jest/globals';
import {ProtocolError} from '../../../core/varlink/message.js';
import type {Reply} from '../../../core/varlink/message.js';
import {ReplyQueue} from '../../../core/varlink/reply-queue.js';
import type {Waiter} from '../../../core/varlink/reply-queue.js';

const bytes = (...frames: string[]) => new TextEncoder().encode(frames.map((f) => f + '\0').join(''));

function waiter(method = 'a.b.C', more = false): Waiter & {got: Reply[]; failed: Error[]} {
  const got: Reply[] = [];
  const failed: Error[] = [];
  return {method, more, got, failed, deliver: (r) => void got.push(r), fail: (e) => void failed.push(e)};
}

describe('ReplyQueue', () => {
  test('replies go to calls in order; a stream keeps its place until its last reply', () => {
    const q = new ReplyQueue();
    const stream = waiter('a.b.Count', true), call = waiter();
    q.push(stream);
    q.push(call);
    expect(q.receive(bytes('{"parameters":{"i":1},"continues":true}', '{"parameters":{"i":2}}', '{"parameters":{"ok":true}}')))
      .toBeNull();
    expect(stream.got.map((r) => r.parameters)).toEqual([{i: 1}, {i: 2}]);
    expect(call.got.map((r) => r.parameters)).toEqual([{ok: true}]);
    expect(q.size).toBe(0);
  });

  test('a reply split inside a UTF-8 sequence is delivered once complete', () => {
    const q = new ReplyQueue();
    const call = waiter();
    q.push(call);
    const all = bytes('{"parameters":{"text":"ü"}}');
    expect(q.receive(all.subarray(0, 24))).toBeNull();
    expect(call.got).toEqual([]);
    expect(q.receive(all.subarray(24))).toBeNull();
    expect(call.got[0]?.parameters).toEqual({text: 'ü'});
  });

  test('an error reply ends a stream', () => {
    const q = new ReplyQueue();
    const stream = waiter('a.b.S', true), next = waiter();
    q.push(stream);
    q.push(next);
    q.receive(bytes('{"parameters":{},"continues":true}', '{"error":"a.b.Bad","continues":true}', '{}'));
    expect(stream.got.map((r) => r.error)).toEqual([undefined, 'a.b.Bad']);
    expect(next.got).toHaveLength(1);
  });

  test.each([
    ['garbage', 'not json'],
    ['"continues" without "more"', '{"continues":true}'],
  ])('%s fails the head call with a ProtocolError and reports it', (_, frame) => {
    const q = new ReplyQueue();
    const head = waiter(), second = waiter();
    q.push(head);
    q.push(second);
    const error = q.receive(bytes(frame));
    expect(error).toBeInstanceOf(ProtocolError);
    expect(head.failed).toEqual([error]);
    expect(second.failed).toEqual([]);
    q.failAll(new Error('closed'));
    expect(second.failed.map((e) => e.message)).toEqual(['closed']);
  });

  test('a reply nobody asked for is a protocol error', () => {
    expect(new ReplyQueue().receive(bytes('{}'))).toBeInstanceOf(ProtocolError);
  });

  test('an oversized reply is a protocol error for the call waiting for it', () => {
    const q = new ReplyQueue(8);
    const call = waiter();
    q.push(call);
    expect(q.receive(new TextEncoder().encode('{"parameters":'))).toBeInstanceOf(ProtocolError);
    expect(call.failed[0]).toBeInstanceOf(ProtocolError);
  });

  test('after failAll nothing more is delivered and new calls fail at once', () => {
    const q = new ReplyQueue();
    const first = waiter(), second = waiter();
    first.deliver = () => q.failAll(new Error('closed by handler'));
    q.push(first);
    q.push(second);
    expect(q.receive(bytes('{}', '{}'))).toBeNull();
    expect(second.got).toEqual([]);
    expect(second.failed.map((e) => e.message)).toEqual(['closed by handler']);
    const late = waiter();
    q.push(late);
    expect(late.failed.map((e) => e.message)).toEqual(['closed by handler']);
  });
});
