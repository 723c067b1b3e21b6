// The hub-socket layout (wire.md §5) and the scan comparison shared by the Node and GJS discoveries.
import {describe, expect, test} from '@jest/globals';
import {
  byHubOrder, childPath, hubChanges, hubLabel, hubSearchRoots, perContainerHub, watchPlan, type FoundHub,
} from '../../../core/client/hub-sockets.js';

const R = '/run/user/1000';
const ID = '0123456789ab';

describe('layout', () => {
  test('the session socket and the per-container directory, whatever trailing slashes the runtime dir has', () => {
    expect(hubSearchRoots(R)).toEqual({session: `${R}/terok-clearance.sock`, perContainerDir: `${R}/terok/clearance`});
    expect(hubSearchRoots(`${R}//`)).toEqual(hubSearchRoots(R));
    expect(childPath('/', 'x')).toBe('/x');
  });

  test('per-container entries: <id>/hub.sock and the earlier <id>.sock; nothing else', () => {
    const dir = `${R}/terok/clearance`;
    expect(perContainerHub(dir, ID)).toEqual({path: `${dir}/${ID}/hub.sock`, layout: 'container', container: ID});
    expect(perContainerHub(dir, `${ID}.sock`)).toEqual({path: `${dir}/${ID}.sock`, layout: 'container-earlier', container: ID});
    for (const entry of ['0123456789AB', `${ID}0`, 'abc.sock', `${ID}.sock.tmp`, '.hidden', '..']) {
      expect(perContainerHub(dir, entry)).toBeNull();
    }
  });

  test('labels: "session", the container id, the configured path', () => {
    expect(hubLabel({path: 'x', layout: 'session', container: ''})).toBe('session');
    expect(hubLabel({path: 'x', layout: 'container-earlier', container: ID})).toBe(ID);
    expect(hubLabel({path: '/a/b.sock', layout: 'configured', container: ''})).toBe('/a/b.sock');
  });
});

describe('watch plan', () => {
  test('R, R/terok, R/terok/clearance and each container directory, with the names that matter in each', () => {
    const plan = watchPlan(R, [ID, `${ID}.sock`, 'junk']);
    expect([...plan.keys()]).toEqual([R, `${R}/terok`, `${R}/terok/clearance`, `${R}/terok/clearance/${ID}`]);
    const relevant = (dir: string, name: string | null) => plan.get(dir)!(name);
    expect(relevant(R, 'terok-clearance.sock')).toBe(true);
    expect(relevant(R, 'terok')).toBe(true);
    expect(relevant(R, 'bus')).toBe(false);
    expect(relevant(R, null)).toBe(true);
    expect(relevant(`${R}/terok`, 'clearance')).toBe(true);
    expect(relevant(`${R}/terok`, 'events')).toBe(false);
    expect(relevant(`${R}/terok/clearance`, 'anything')).toBe(true);
    expect(relevant(`${R}/terok/clearance/${ID}`, 'hub.sock')).toBe(true);
    expect(relevant(`${R}/terok/clearance/${ID}`, '.hub.sock.1234')).toBe(false);
  });
});

describe('scan comparison', () => {
  const found = (path: string, identity: string, layout: FoundHub['hub']['layout'] = 'container'): FoundHub =>
    ({hub: {path, layout, container: ''}, identity});

  test('new paths are added, vanished ones removed, a replaced socket is removed and added again', () => {
    const known = new Map([['/a', found('/a', '1')], ['/b', found('/b', '2')], ['/c', found('/c', '3')]]);
    const {removed, added} = hubChanges(known, [found('/a', '1'), found('/c', '9'), found('/d', '4')]);
    expect(removed.map((f) => f.hub.path)).toEqual(['/b', '/c']);
    expect(added.map((f) => [f.hub.path, f.identity])).toEqual([['/c', '9'], ['/d', '4']]);
  });

  test('the session hub sorts first, then by path', () => {
    const sorted = [found('/z', '1'), found('/s', '1', 'session'), found('/a', '1')].sort(byHubOrder);
    expect(sorted.map((f) => f.hub.path)).toEqual(['/s', '/a', '/z']);
  });
});
