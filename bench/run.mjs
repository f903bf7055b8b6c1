#!/usr/bin/env node
// The repo-wide benchmark runner: `pnpm bench [name...]`.
//
// Runs bench/<name>.bench.mjs (all of them when no name is given). Each module's default export
// is `{ name, run(ctx) }`; run() returns `{ rows, samples }` where a row is
//   { what, ours, peer, unit, target, limit?, pass?, noRatio? }
// `limit` is the largest acceptable ours/peer ratio (pass is computed from it); rows without a
// peer ratio give `pass` themselves. A row may give its own `ratio` (e.g. the median of
// same-round ratios, which is not ours/peer of pooled figures) and `ratioRange` [min, max];
// `noRatio` for figures a ratio says nothing about (a slope). Prints ONE table for all benchmarks and writes each one's
// raw samples plus machine info to bench/results/<name>.json. Exits 1 if a benchmark crashed
// (a missed target is reported in the table, not as a crash).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

const here = import.meta.dirname;
const root = join(here, '..');
const buildDir = join(here, 'build');

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    arch: process.arch,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    date: new Date().toISOString(),
  };
}

const ctx = {
  root,
  buildDir,
  log: (msg) => console.error(`bench: ${msg}`),
  /** Compiles C sources (paths relative to the repo root) into bench/build/<out>; returns it. */
  cc(out, sources, flags = []) {
    mkdirSync(buildDir, { recursive: true });
    const binary = join(buildDir, out);
    execFileSync(
      'cc',
      [
        '-O2',
        '-Wall',
        '-Wextra',
        '-std=gnu11',
        '-I',
        join(root, 'native/include'),
        ...flags,
        '-o',
        binary,
        ...sources.map((s) => join(root, s)),
      ],
      { stdio: 'inherit' },
    );
    return binary;
  },
};

const available = readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .map((f) => f.replace(/\.bench\.mjs$/, ''))
  .sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !available.includes(w));
if (unknown.length) {
  console.error(`bench: no benchmark ${unknown.join(', ')} (have: ${available.join(', ')})`);
  process.exit(2);
}

const fmt = (v, unit) =>
  v === null || v === undefined ? '—' : `${Number(v.toPrecision(3))}${unit ? ` ${unit}` : ''}`;
const table = [];
let crashed = false;
for (const name of wanted.length ? wanted : available) {
  const mod = (await import(join(here, `${name}.bench.mjs`))).default;
  ctx.log(`${name}: running`);
  const started = Date.now();
  try {
    const { rows: raw, samples } = await mod.run(ctx);
    const rows = raw.map((row) => {
      const ratio = row.noRatio ? null : (row.ratio ?? (row.peer ? row.ours / row.peer : null));
      const pass = row.limit !== undefined && ratio !== null ? ratio <= row.limit : row.pass;
      return { ...row, ratio, pass };
    });
    table.push(...rows);
    const results = join(here, 'results');
    mkdirSync(results, { recursive: true });
    const record = { name, machine: machine(), durationMs: Date.now() - started, rows, samples };
    writeFileSync(join(results, `${name}.json`), `${JSON.stringify(record)}\n`);
    ctx.log(
      `${name}: done in ${((Date.now() - started) / 1000).toFixed(1)} s -> bench/results/${name}.json`,
    );
  } catch (err) {
    crashed = true;
    table.push({ what: `${name}: crashed: ${err.message}`, pass: false });
  }
}

const m = machine();
console.log(`\n${m.cpu}, ${m.cores} cores, ${m.kernel}, Node ${m.node}\n`);
const head = ['what', 'ours', 'peer', 'ratio', 'target', 'pass/fail'];
const cells = table.map((r) => [
  r.what,
  fmt(r.ours, r.unit),
  r.peer === undefined ? '—' : `${fmt(r.peer, r.unit)}${r.peerName ? ` (${r.peerName})` : ''}`,
  r.ratio === null || r.ratio === undefined
    ? '—'
    : `${r.ratio.toFixed(2)}×${r.ratioRange ? ` (${r.ratioRange.map((x) => x.toFixed(2)).join('–')})` : ''}`,
  r.target ?? '—',
  r.pass === undefined ? '—' : r.pass ? 'pass' : 'FAIL',
]);
const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
const line = (c) => `| ${c.map((v, i) => v.padEnd(widths[i])).join(' | ')} |`;
console.log(line(head));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const c of cells) console.log(line(c));
process.exit(crashed ? 1 : 0);
