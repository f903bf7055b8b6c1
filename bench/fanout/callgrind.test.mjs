import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDump } from './callgrind.mjs';

test('parseDump reads the total and the calls of one function, names compressed or not', () => {
  const dump = [
    'version: 1',
    'events: Ir',
    'fn=(1) main',
    '0 10',
    'cfn=(2) cam_shm_writer_publish',
    'calls=3 0x0',
    '0 300',
    'cfn=(3) other',
    'calls=7 0x0',
    '0 70',
    'fn=(4) loop',
    'cfn=(2)',
    'calls=2 0x0',
    '0 200',
    'totals: 12345',
  ].join('\n');
  assert.deepEqual(parseDump(dump, 'cam_shm_writer_publish'), { instructions: 12345, calls: 5 });
  assert.deepEqual(parseDump(dump, 'nowhere'), { instructions: 12345, calls: 0 });
  assert.throws(() => parseDump('fn=(1) main\n', 'main'), /without totals/);
});
