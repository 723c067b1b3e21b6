import {expect, test} from '@jest/globals';
import {deciderText, logLine, parseLog, type DecisionLogEntry} from '../../../core/decisions/decision-log.js';

const entry: DecisionLogEntry = {
  at: '2026-12-05T16:00:00.000Z', hub: 'session', by: 'operator', decision: 'g1', lasting: '1h',
  container: 'a1b2c3d4e5f6', identity: 'warp/t42', request_id: 'a1b2c3d4e5f6:3', target: 'registry.pkgs.example',
  port: 443, action: 'allow', ok: true, stderr: '', ui: 'gnome-shell', uid: 1000,
};

test('one line per entry, read back; torn and foreign lines skipped', () => {
  const line = logLine(entry);
  expect(line.endsWith('\n')).toBe(true);
  expect(line.split('\n')).toHaveLength(2);
  const text = line + '{"at":"torn' + '\n' + '{"foo":1}\n\n' + logLine({...entry, by: 'expiry', action: 'deny'})
    + line.slice(0, 40);
  expect(parseLog(text)).toEqual([entry, {...entry, by: 'expiry', action: 'deny'}]);
  expect(parseLog(logLine({...entry, by: 'nobody' as 'operator'}))).toEqual([]);
});

test('who decided', () => {
  expect(deciderText(entry)).toBe('operator (gnome-shell, uid 1000)');
  expect(deciderText({...entry, ui: '', uid: -1})).toBe('operator');
  expect(deciderText({...entry, by: 'rule', decision: 'h12'})).toBe('rule h12');
  expect(deciderText({...entry, by: 'expiry'})).toBe('expiry of g1');
});
