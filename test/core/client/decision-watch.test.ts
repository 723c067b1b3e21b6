// DecisionWatch over a transport the test controls: each hub's WatchDecisions replies make one view (a grant two hubs
// report is one grant with both origins; the log entries every hub shares appear once, newest first); a hub
// forgotten or whose stream ends takes its part with it; close() ends every stream and reports nothing more.
import {describe, expect, test} from '@jest/globals';
import {DecisionWatch} from '../../../core/client/decision-watch.js';
import type {HubPeer} from '../../../core/client/hub-connection.js';
import type {JsonObject} from '../../../core/varlink/message.js';

const C = 'abc123def456';

class FakePeer implements HubPeer {
  onReply: ((p: JsonObject) => void) | null = null;
  method = '';
  closedByClient = false;
  #end: ((e?: Error) => void) | null = null;
  readonly closed: Promise<unknown> = Promise.resolve();
  call(): Promise<JsonObject> {
    return Promise.reject(new Error('no calls here'));
  }
  stream(method: string, _p: JsonObject, onReply: (p: JsonObject) => void): Promise<void> {
    this.method = method;
    this.onReply = onReply;
    return new Promise((resolve, reject) => (this.#end = (e) => (e ? reject(e) : resolve())));
  }
  end(error?: Error): void {
    this.#end?.(error);
  }
  close(): void {
    this.closedByClient = true;
    this.end();
  }
}

function grant(id: string, expires: string): JsonObject {
  return {id, kind: 'grant', action: 'allow', target: 'registry.example.net', port: 0, container: C, project: '',
    expires, until_exit: '', source: 'grant', created: '', request_id: '', ui: 'shell', uid: 1000, note: ''};
}

function entry(at: string, by = 'grant'): JsonObject {
  return {at, hub: 'session', by, decision: 'g1', lasting: '1h', container: C, identity: '', request_id: `${C}:1`,
    target: 'registry.example.net', port: 443, action: 'allow', ok: true, stderr: '', ui: '', uid: -1};
}

function state(grants: JsonObject[], extra: JsonObject = {}): JsonObject {
  return {grants, rules_count: 0, rules_file: '/r.yaml', rules_error: '', failing: [], ...extra};
}

const flush = () => new Promise((r) => setTimeout(r, 0));

function setup() {
  const peers = new Map<string, FakePeer>();
  let changes = 0;
  const watch = new DecisionWatch({
    transport: {connect: (path) => {
      const peer = new FakePeer();
      peers.set(path, peer);
      return Promise.resolve(peer);
    }},
    changed: () => changes++,
  });
  return {watch, peers, changes: () => changes};
}

describe('DecisionWatch', () => {
  test('merges the hubs: one grant with both origins, shared log entries once, newest first', async () => {
    const {watch, peers, changes} = setup();
    watch.follow('/a');
    watch.follow('/b');
    watch.follow('/a'); // already followed
    await flush();
    expect([...peers.keys()]).toEqual(['/a', '/b']);
    expect(peers.get('/a')!.method).toBe('org.terok.Clearance1.WatchDecisions');
    peers.get('/a')!.onReply!({state: state([grant('g1', '2026-12-05T11:00:00.000Z'), grant('g2', '2026-12-05T10:30:00.000Z')]),
      recent: [entry('2026-12-05T10:00:00.000Z'), entry('2026-12-05T10:00:01.000Z')]});
    peers.get('/b')!.onReply!({state: state([grant('g1', '2026-12-05T11:00:00.000Z')], {rules_error: 'line 3: bad'}),
      recent: [entry('2026-12-05T10:00:01.000Z')]});
    peers.get('/b')!.onReply!({entry: entry('2026-12-05T10:00:02.000Z', 'rule')});
    const view = watch.view();
    expect(view.grants.map((g) => [g.grant.id, g.origins])).toEqual([['g2', ['/a']], ['g1', ['/a', '/b']]]);
    expect(view.rulesErrors).toEqual([{file: '/r.yaml', error: 'line 3: bad'}]);
    expect(view.recent.map((e) => [e.at, e.by])).toEqual([['2026-12-05T10:00:02.000Z', 'rule'],
      ['2026-12-05T10:00:01.000Z', 'grant'], ['2026-12-05T10:00:00.000Z', 'grant']]);
    expect(changes()).toBe(3);
  });

  test('a malformed reply is skipped; a stream that ends or a hub forgotten takes its part', async () => {
    const {watch, peers, changes} = setup();
    watch.follow('/a');
    watch.follow('/b');
    await flush();
    peers.get('/a')!.onReply!({state: state([grant('g1', '')])});
    peers.get('/b')!.onReply!({state: state([grant('g2', '')])});
    peers.get('/a')!.onReply!({state: {grants: 'no'}});
    expect(changes()).toBe(2);
    peers.get('/a')!.end(new Error('MethodNotFound'));
    await flush();
    expect(watch.view().grants.map((g) => g.grant.id)).toEqual(['g2']);
    watch.forget('/b');
    expect(peers.get('/b')!.closedByClient).toBe(true);
    expect(watch.view().grants).toEqual([]);
    expect(changes()).toBe(4);
  });

  test('close() ends the streams, reports nothing, follows nothing more', async () => {
    const {watch, peers, changes} = setup();
    watch.follow('/a');
    await flush();
    watch.close();
    expect(peers.get('/a')!.closedByClient).toBe(true);
    watch.follow('/c');
    await flush();
    expect(peers.has('/c')).toBe(false);
    expect(changes()).toBe(0);
  });
});
