// Adds up the vitest JSON reports of every workspace package that has a `test` script, and the
// script checks tools/test.sh recorded in test-results/checks.txt (one test each), and prints one
// closing line: `tests: N passed, N failed, N skipped`. A package whose report is missing (its
// run crashed before reporting) counts as one failure, so nothing passes silently.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
let passed = 0;
let failed = 0;
let skipped = 0;
for (const group of ['packages', 'apps']) {
  const dir = join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir).sort()) {
    const pkgFile = join(dir, name, 'package.json');
    if (!existsSync(pkgFile)) continue;
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
    if (!pkg.scripts?.test) continue;
    const report = join(dir, name, 'test-results', 'vitest.json');
    if (!existsSync(report)) {
      console.log(`${pkg.name}: no test report (${report}); counted as 1 failure`);
      failed += 1;
      continue;
    }
    const r = JSON.parse(readFileSync(report, 'utf8'));
    const s = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    console.log(
      `${pkg.name}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${s} skipped`,
    );
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    skipped += s;
  }
}
const checks = join(root, 'test-results', 'checks.txt');
if (existsSync(checks)) {
  for (const line of readFileSync(checks, 'utf8').trim().split('\n')) {
    console.log(`check ${line}`);
    if (line.endsWith(' passed')) passed += 1;
    else failed += 1;
  }
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
