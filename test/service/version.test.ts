import {expect, test} from '@jest/globals';
import {readFileSync} from 'node:fs';
import {VERSION} from '../../service/version.js';

test('the version constant matches package.json', () => {
  expect(VERSION).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
});
