// The deterministic row of the fan-out benchmark: user-space instructions the streamer spends
// per frame and per client-frame on `ws` under --jitless (the board's Node), counted by
// valgrind's callgrind. Wall time and the rest of the machine do not enter an instruction count,
// so this row is the regression guard for the hot path that the noisy CPU rows cannot be.
//
// One server process (bench/fanout/server.mjs, streamer-ws) runs under callgrind with
// instrumentation off until the stream runs (start-up alone would take minutes instrumented).
// Then two windows, each opened with `callgrind_control --zero` and closed with `--dump`:
//   A: no client connected          -> instructions per frame (camera, shm ring, metrics, loop)
//   B: CLIENTS clients connected     -> (B − A) / CLIENTS per client-frame
// Frames in a window = calls of cam_shm_writer_publish in that dump (the streamer publishes every
// frame to its ring once), so the count and the instructions come from the same dump; the only
// imprecision is the frame in flight at each edge of a window (under 1 % of WINDOW_S worth).
// The count holds all threads of the process (V8's helpers, libuv, the camera).
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { forkChild } from './child.mjs';
import { streamerNodeFlags } from './deps.mjs';

const run = promisify(execFile);
const CLIENTS = 10;
const WINDOW_S = Number(process.env.FANOUT_CALLGRIND_S ?? 8);
const SETTLE_MS = 3000;
const FRAME_FUNCTION = 'cam_shm_writer_publish';

const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Total instructions (Ir) of a callgrind dump and the calls of `fn` it records. Names are
 * compressed: `cfn=(id) name` the first time, `cfn=(id)` after; `calls=N ...` follows a cfn line.
 */
export function parseDump(text, fn) {
  const names = new Map();
  let total = null;
  let calls = 0;
  let callee = null;
  for (const line of text.split('\n')) {
    const named = /^c?fn=\((\d+)\)(?: (.*))?$/.exec(line);
    if (named) {
      if (named[2] !== undefined) names.set(named[1], named[2]);
      if (line.startsWith('cfn=')) callee = names.get(named[1]) ?? null;
      continue;
    }
    if (line.startsWith('calls=')) {
      if (callee === fn) calls += Number(line.slice(6).split(' ')[0]);
      continue;
    }
    if (line.startsWith('totals:') || line.startsWith('summary:')) {
      total = Number(line.split(/\s+/)[1]);
    }
  }
  if (total === null) throw new Error('callgrind dump without totals/summary');
  return { instructions: total, calls };
}

async function control(args, pid) {
  await run('callgrind_control', [...args, String(pid)], { timeout: 120_000 });
}

/** Dumps the window since the last --zero; the newest dump file's figures. */
async function dumpWindow(pid, dir, seen) {
  await control(['--dump'], pid);
  // Each --dump writes cg.out.N; cg.out itself is the final dump at exit.
  const fresh = readdirSync(dir).filter((f) => /\.\d+$/.test(f) && !seen.has(f));
  if (fresh.length !== 1)
    throw new Error(`callgrind: expected one new dump in ${dir}, got ${fresh}`);
  seen.add(fresh[0]);
  return parseDump(readFileSync(join(dir, fresh[0]), 'utf8'), FRAME_FUNCTION);
}

async function measureWindow(pid, dir, seen) {
  await control(['--zero'], pid);
  await sleep(WINDOW_S * 1000);
  const { instructions, calls } = await dumpWindow(pid, dir, seen);
  if (calls < 10) {
    throw new Error(
      `callgrind: only ${calls} frames in a ${WINDOW_S} s window (machine too busy?)`,
    );
  }
  return { instructions, frames: calls, perFrame: instructions / calls };
}

/** { perFrame, perClientFrame, windows } for the streamer on ws under --jitless. */
export async function countInstructions(env, ctx) {
  const dir = mkdtempSync(join(tmpdir(), 'cam-fanout-callgrind-'));
  const wrapper = [
    'valgrind',
    '--tool=callgrind',
    '--instr-atstart=no',
    `--callgrind-out-file=${join(dir, 'cg.out')}`,
  ];
  const server = forkChild(
    here('./server.mjs'),
    ['streamer-ws', env.clipPath],
    'callgrind',
    ['--jitless', ...streamerNodeFlags()],
    wrapper,
  );
  let loader = null;
  const seen = new Set();
  try {
    const { port } = await server.wait('ready', 600_000);
    await control(['--instr=on'], server.pid);
    await sleep(SETTLE_MS);
    ctx.log(`fanout: callgrind window with 0 clients (${WINDOW_S} s)`);
    const idle = await measureWindow(server.pid, dir, seen);
    loader = forkChild(
      here('./load.mjs'),
      [`ws://127.0.0.1:${port}/`, String(CLIENTS), '0'],
      'callgrind-load',
    );
    await loader.wait('ready', 120_000);
    await sleep(SETTLE_MS);
    ctx.log(`fanout: callgrind window with ${CLIENTS} clients (${WINDOW_S} s)`);
    const busy = await measureWindow(server.pid, dir, seen);
    return {
      clients: CLIENTS,
      perFrame: Math.round(idle.perFrame),
      perClientFrame: Math.round((busy.perFrame - idle.perFrame) / CLIENTS),
      windows: { idle, busy },
    };
  } finally {
    await loader?.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
