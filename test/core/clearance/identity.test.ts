import {describe, expect, test} from '@jest/globals';
import {dossierIdentity, identityLabel, protoLabel, targetLabel} from '../../../core/clearance/identity.js';

describe('identityLabel', () => {
  test.each([
    ['project, task and name', {project: 'warp', task: 't42', name: 'build'}, 'warp/t42 · build'],
    ['all four keys: name wins after the task', {project: 'warp', task: 't42', name: 'build', container_name: 'c'},
      'warp/t42 · build'],
    ['project and task, container_name only', {project: 'warp', task: 't42', container_name: 'warp-t42'},
      'warp/t42 · warp-t42'],
    ['project and task without a name', {project: 'warp', task: 't42'}, 'warp/t42'],
    ['container_name preferred over name without a task', {container_name: 'web-1', name: 'Web'}, 'web-1'],
    ['name alone', {name: 'Web'}, 'Web'],
    ['container_name alone', {container_name: 'web-1'}, 'web-1'],
    ['project alone is not a task identity', {project: 'warp'}, 'abc123def456'],
    ['task alone with a name', {task: 't42', name: 'build'}, 'build'],
    ['blank values count as absent', {project: '  ', task: 't42', name: ' ', container_name: ''}, 'abc123def456'],
    ['surrounding spaces trimmed', {project: ' warp ', task: 't42 ', name: ' build'}, 'warp/t42 · build'],
    ['empty dossier', {}, 'abc123def456'],
    ['unknown keys ignored', {image: 'x', labels: 'y'}, 'abc123def456'],
  ])('%s', (_name, dossier, expected) => {
    expect(identityLabel('abc123def456', dossier)).toBe(expected);
  });

  test('keys inherited from the prototype are not read', () => {
    const dossier = Object.create({name: 'inherited'}) as Record<string, string>;
    expect(identityLabel('c', dossier)).toBe('c');
    expect(identityLabel('c', JSON.parse('{"__proto__":"x"}'))).toBe('c');
  });

  test('dossierIdentity is "" when the dossier names nothing', () => {
    expect(dossierIdentity({})).toBe('');
    expect(dossierIdentity({project: 'warp'})).toBe('');
    expect(dossierIdentity({name: 'n'})).toBe('n');
  });

  test('empty container and dossier give ""', () => {
    expect(identityLabel('', {})).toBe('');
  });
});

test('protoLabel', () => {
  expect(protoLabel(6)).toBe('TCP');
  expect(protoLabel(17)).toBe('UDP');
  expect(protoLabel(1)).toBe('1');
  expect(protoLabel(0)).toBe('0');
  expect(protoLabel(132)).toBe('132');
});

test('targetLabel: domain preferred, IP alongside', () => {
  expect(targetLabel({domain: 'registry.example.net', dest: '198.51.100.1'})).toBe('registry.example.net (198.51.100.1)');
  expect(targetLabel({domain: '', dest: '198.51.100.1'})).toBe('198.51.100.1');
  expect(targetLabel({domain: 'registry.example.net', dest: ''})).toBe('registry.example.net');
  expect(targetLabel({domain: '198.51.100.1', dest: '198.51.100.1'})).toBe('198.51.100.1');
  expect(targetLabel({domain: '', dest: ''})).toBe('');
});
