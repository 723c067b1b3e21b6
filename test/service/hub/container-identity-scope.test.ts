// Which containers the hub names (ContainerIdentity) and what it lets through: only containers it has events of or
// still holds a request of, the helper's dossier sanitised into a label, every failure "".
import {describe, expect, test} from '@jest/globals';
import {makeEvent} from '../../../core/clearance/event.js';
import {ClearanceHub, MAX_SEEN_CONTAINERS} from '../../../service/hub/hub.js';
import {blocked, C1, C2, RecordingShield} from '../client/support/test-hub.js';

function hub(identify: (container: string) => Promise<Record<string, unknown>>): {hub: ClearanceHub; asked: string[]} {
  const asked: string[] = [];
  return {asked, hub: new ClearanceHub(new RecordingShield(), {identify: (c) => { asked.push(c); return identify(c); }})};
}

const task = async () => ({project: 'warp', task: 't42', name: 'build', container_name: 'warp-t42-dev'});

describe('ContainerIdentity', () => {
  test('a container the hub has no events of is not looked up', async () => {
    const {hub: h, asked} = hub(task);
    expect(await h.containerIdentity(C1)).toEqual({identity: ''});
    expect(await h.containerIdentity('')).toEqual({identity: ''});
    h.ingest(makeEvent({type: 'container_started', container: C1}));
    expect(await h.containerIdentity(C1)).toEqual({identity: 'warp/t42 · build'});
    expect(asked).toEqual([C1]);
  });

  test('the oldest containers are forgotten, unless a request of theirs is still pending', async () => {
    const {hub: h} = hub(task);
    h.ingest(blocked(1, {dossier: {}}));
    h.ingest(makeEvent({type: 'container_started', container: C2}));
    for (let i = 0; i < MAX_SEEN_CONTAINERS; i++) h.ingest(makeEvent({type: 'shield_up', container: `c${i}`}));
    expect(await h.containerIdentity(C1)).toEqual({identity: 'warp/t42 · build'}); // its block is pending
    expect(await h.containerIdentity(C2)).toEqual({identity: ''});
  });

  test('past many rounds of the bound, exactly the newest MAX_SEEN_CONTAINERS are remembered', async () => {
    const {hub: h, asked} = hub(task);
    const total = 2 * MAX_SEEN_CONTAINERS + 5;
    for (let i = 0; i < total; i++) {
      h.ingest(makeEvent({type: 'shield_up', container: `c${i}`}));
      h.ingest(makeEvent({type: 'shield_down', container: `c${i}`})); // seen again: not a new entry
    }
    const oldestKept = total - MAX_SEEN_CONTAINERS;
    for (const i of [0, oldestKept - 1]) expect(await h.containerIdentity(`c${i}`)).toEqual({identity: ''});
    for (const i of [oldestKept, total - 1]) expect(await h.containerIdentity(`c${i}`)).not.toEqual({identity: ''});
    expect(asked).toEqual([`c${oldestKept}`, `c${total - 1}`]);
  });

  test('what the helper says is sanitised; a helper that fails names nothing', async () => {
    const {hub: hostile} = hub(async () => ({container_name: 'evil\u202e\u001b[31m<b>', extra: {nested: 1}}));
    hostile.ingest(blocked(1));
    expect(await hostile.containerIdentity(C1)).toEqual({identity: 'evil  [31m<b>'});
    const {hub: failing} = hub(() => Promise.reject(new Error('boom')));
    failing.ingest(blocked(1));
    expect(await failing.containerIdentity(C1)).toEqual({identity: ''});
    const none = new ClearanceHub(new RecordingShield());
    none.ingest(blocked(1));
    expect(await none.containerIdentity(C1)).toEqual({identity: ''});
  });
});
