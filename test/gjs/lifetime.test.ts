// The extension's one owner of everything it creates (extension/lifetime.ts), under the host's real gjs.
import {beforeAll, describe, expect, test} from '@jest/globals';
import {runGjs, valueOf, type CaseResult} from './run-gjs.js';

let results: Record<string, CaseResult>;
beforeAll(async () => {
  results = await runGjs(new URL('./lifetime.gjs.ts', import.meta.url).pathname);
}, 30_000);

describe('Lifetime (gjs)', () => {
  test('end() runs every undo step once, newest first, even past a failing one; later steps run at once', () => {
    expect(valueOf(results, 'end undoes in reverse order, once, past a failing step')).toEqual(['owned', 'first', 'late']);
  });

  test('timeouts repeat while asked, a finished one is forgotten, and none fires after end()', () => {
    expect(valueOf(results, 'a timeout repeats while it returns true and is gone after end')).toEqual(
      {ranWhileAlive: true, stoppedAtEnd: true, once: 1, pending: 0});
  });

  test('a timeout can be cancelled before it runs and from inside its own tick', () => {
    expect(valueOf(results, 'a timeout cancelled early never runs, one cancelled from its own tick stops, and neither outlives end'))
      .toEqual({early: 0, self: 1});
  });

  test('signal handlers are disconnected and cancellables cancelled by end()', () => {
    expect(valueOf(results, 'signals are disconnected and cancellables cancelled')).toEqual({activations: 1, cancelled: true});
  });
});
