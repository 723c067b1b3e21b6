// The one-line hub health of the shell indicator: "not running" is explained, real failures are named.
import {describe, expect, test} from '@jest/globals';
import {hubHealth, SERVICE_NOT_RUNNING, type HubSummary} from '../../../core/client/hub-health.js';

const hub = (label: string, layout: HubSummary['layout'], status: HubSummary['state']['status'], reason = '',
  notRunning = false): HubSummary => ({label, layout, state: {status, reason, notRunning}});

describe('hubHealth', () => {
  test('the session hub not running, alone: the service is not running, with where it was looked for', () => {
    expect(hubHealth([hub('session', 'session', 'unavailable', 'not running (no socket at /r/x.sock)', true)])).toEqual(
      {level: 'not-running', title: SERVICE_NOT_RUNNING, details: ['not running (no socket at /r/x.sock)']});
  });

  test('still trying for the first time: connecting, not "not running"', () => {
    expect(hubHealth([hub('session', 'session', 'connecting')]).level).toBe('connecting');
  });

  test('per-container hubs connected while the session hub is absent: all is well', () => {
    expect(hubHealth([hub('session', 'session', 'unavailable', 'not running', true), hub('c1', 'container', 'connected'),
      hub('c2', 'container', 'connected')])).toEqual({level: 'ok', title: 'Connected to 2 clearance hubs', details: []});
  });

  test('a hub failing for another reason, or a configured one missing, is named', () => {
    expect(hubHealth([hub('session', 'session', 'connected'), hub('c1', 'container', 'unavailable', 'permission denied'),
      hub('/x.sock', 'configured', 'unavailable', 'not running', true)])).toEqual({
      level: 'degraded', title: 'Connected to the clearance hub',
      details: ['c1: permission denied', '/x.sock: not running'],
    });
    expect(hubHealth([hub('session', 'session', 'unavailable', 'served by uid 0, expected 1000')])).toEqual({
      level: 'unreachable', title: 'Clearance service unreachable', details: ['session: served by uid 0, expected 1000'],
    });
  });
});
