// extension/lifetime.ts under real gjs: GLib sources, signals, cancellables and undo steps all end in one call.
import Gio from 'gi://Gio';
import {Lifetime} from '../../extension/lifetime.js';
import {delay, runCases} from './cases.gjs.js';

runCases({
  async 'end undoes in reverse order, once, past a failing step'() {
    const lifetime = new Lifetime();
    const order: string[] = [];
    lifetime.defer(() => order.push('first'));
    lifetime.defer(() => {
      throw new Error('broken step');
    });
    lifetime.own({destroy: () => order.push('owned')});
    lifetime.end();
    lifetime.end();
    lifetime.defer(() => order.push('late'));
    return order;
  },

  async 'a timeout repeats while it returns true and is gone after end'() {
    const lifetime = new Lifetime();
    let repeating = 0, once = 0, pending = 0;
    lifetime.timeout(10, () => ++repeating < 1000);
    lifetime.timeout(10, () => (once++, false));
    lifetime.timeout(5000, () => (pending++, false));
    await delay(100);
    lifetime.end();
    const atEnd = repeating;
    await delay(60);
    return {ranWhileAlive: atEnd > 3, stoppedAtEnd: repeating === atEnd, once, pending};
  },

  async 'a timeout cancelled early never runs, one cancelled from its own tick stops, and neither outlives end'() {
    const lifetime = new Lifetime();
    let early = 0, self = 0;
    const cancelEarly = lifetime.timeout(20, () => (early++, true));
    cancelEarly();
    const cancelSelf: () => void = lifetime.timeout(10, () => {
      self++;
      cancelSelf();
      return true;
    });
    await delay(100);
    lifetime.end();
    cancelEarly(); // after end too: a no-op
    return {early, self};
  },

  async 'signals are disconnected and cancellables cancelled'() {
    const lifetime = new Lifetime();
    const action = new Gio.SimpleAction({name: 'probe'});
    let activations = 0;
    lifetime.connect(action, 'activate', () => activations++);
    const cancellable = lifetime.cancellable();
    action.activate(null);
    lifetime.end();
    action.activate(null);
    return {activations, cancelled: cancellable.is_cancelled()};
  },
});
