// @cam/player bundles this package into the browser, so its source may use only what both
// Node and browsers have: no Node built-ins, no Buffer, no require, no process.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', 'src');
const sources = readdirSync(SRC).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));

it.each(sources)('%s uses no Node-only API', (file) => {
  const code = readFileSync(join(SRC, file), 'utf8');
  expect(code).not.toMatch(/from '(node:)?(fs|path|buffer|os|util|crypto|stream)'/);
  expect(code).not.toMatch(/\bnode:/);
  expect(code).not.toMatch(/\b(Buffer|require|process|__dirname)\b/);
});

it('the scan found the package sources', () => {
  expect(sources).toEqual(expect.arrayContaining(['annexb.ts', 'framing.ts', 'sps.ts']));
});
