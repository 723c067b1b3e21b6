import {expect, test} from '@jest/globals';
import {
  HUB_ERRORS, INVALID_ACTION, SHIELD_CLI_FAILED, UNKNOWN_REQUEST, VERDICT_ACTIONS, VERDICT_TUPLE_MISMATCH,
  bindingTarget, isVerdictAction, rejectionOf,
} from '../../../core/clearance/verdict.js';

test('actions', () => {
  expect(VERDICT_ACTIONS).toEqual(['allow', 'deny']);
  expect(isVerdictAction('allow')).toBe(true);
  expect(isVerdictAction('deny')).toBe(true);
  for (const x of ['Allow', 'ALLOW', ' allow', 'reject', '', null, 1, ['allow']]) expect(isVerdictAction(x)).toBe(false);
});

test('the bound target is the domain when known, else the IP', () => {
  expect(bindingTarget({domain: 'registry.example.net', dest: '198.51.100.1'})).toBe('registry.example.net');
  expect(bindingTarget({domain: '', dest: '198.51.100.1'})).toBe('198.51.100.1');
  expect(bindingTarget({domain: '', dest: ''})).toBe('');
});

test('the hub error names are exact', () => {
  expect(UNKNOWN_REQUEST).toBe('org.terok.Clearance1.UnknownRequest');
  expect(VERDICT_TUPLE_MISMATCH).toBe('org.terok.Clearance1.VerdictTupleMismatch');
  expect(INVALID_ACTION).toBe('org.terok.Clearance1.InvalidAction');
  expect(SHIELD_CLI_FAILED).toBe('org.terok.Clearance1.ShieldCliFailed');
  expect(HUB_ERRORS).toHaveLength(4);
});

test('only UnknownRequest reads as "already answered"', () => {
  expect(rejectionOf(UNKNOWN_REQUEST)).toBe('unknown-request');
  for (const name of [VERDICT_TUPLE_MISMATCH, INVALID_ACTION, SHIELD_CLI_FAILED, 'org.varlink.service.MethodNotFound',
    'UnknownRequest', '']) {
    expect(rejectionOf(name)).toBe('failed');
  }
});
