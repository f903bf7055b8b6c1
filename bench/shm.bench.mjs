// @cam/shm: publish → reader wake-up (C and Node readers, 1 and 4 processes) against a bare
// futex ping-pong and against a Unix domain socket carrying the same frames; writer cost with 1
// vs 16 readers; a 10^6-frame integrity run; a raw 640x640 RGB ring (an ML channel) next to the
// H.264 ring, timed from before the publish call (its copy included). See BENCHMARKS.md.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { percentile } from './fanout/stats.mjs';

const FRAMES = 1000; // per run, one every INTERVAL_US (a 30 fps stream, 33× faster)
const REPEATS = 3;
const INTERVAL_US = 1000;
const INTEGRITY_FRAMES = 1_000_000;
const RAW_FRAMES = 60; // per run, 15 fps: 4 s

/** A child process that prints JSON lines; `next()` resolves with the next one. */
function proc(command, args) {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const queue = [];
  const waiting = [];
  createInterface({ input: child.stdout }).on('line', (text) => {
    const value = JSON.parse(text);
    const w = waiting.shift();
    if (w) w.resolve(value);
    else queue.push(value);
  });
  child.on('close', (code) => {
    for (const w of waiting.splice(0))
      w.reject(new Error(`${command} ${args.join(' ')} exited with ${code}`));
  });
  return {
    child,
    next: () =>
      queue.length
        ? Promise.resolve(queue.shift())
        : new Promise((resolve, reject) => waiting.push({ resolve, reject })),
    go: () => child.stdin.write('go\n'),
  };
}

function summarize(ns) {
  const s = Float64Array.from(ns).sort();
  return { n: s.length, p50: percentile(s, 50) / 1000, p99: percentile(s, 99) / 1000 };
}

export default {
  name: 'shm',
  async run(ctx) {
    const bin = ctx.cc('ipc_bench', ['bench/c/ipc_bench.c', 'native/shm/cam_shm_writer.c']);
    const nodeReader = join(import.meta.dirname, 'node-reader.mjs');
    const name = `/cam-bench-${process.pid}`;
    const socket = join(tmpdir(), `cam-bench-${process.pid}.sock`);
    // transport: shm, stamped (shm, timed from the stamp before the publish call) or uds.
    const readerCommand = (kind, transport, target, frames) =>
      kind === 'c'
        ? [
            bin,
            transport === 'uds'
              ? ['uds-reader', target, String(frames)]
              : ['shm-reader', target, String(frames), transport === 'shm' ? 'latency' : 'stamped'],
          ]
        : [process.execPath, [nodeReader, transport, target, String(frames)]];

    async function runShm(kind, readers, frames = FRAMES, mode = 'gop', interval = INTERVAL_US) {
      const writer = proc(bin, ['shm-writer', name, String(frames), String(interval), mode]);
      await writer.next();
      const transport = mode.startsWith('stamped') ? 'stamped' : 'shm';
      const rs = Array.from({ length: readers }, () =>
        proc(...readerCommand(kind, transport, name, frames)),
      );
      await Promise.all(rs.map((r) => r.next()));
      writer.go();
      const results = await Promise.all(rs.map((r) => r.next()));
      const cpu = await writer.next();
      const wall = await writer.next();
      return {
        latency: results.flatMap((r) => r.latency_ns),
        publishCpu: cpu.publish_cpu_ns,
        publish: wall.publish_ns,
      };
    }

    async function runUds(kind, readers) {
      const writer = proc(bin, [
        'uds-writer',
        socket,
        String(readers),
        String(FRAMES),
        String(INTERVAL_US),
      ]);
      await writer.next(); // listening
      const rs = Array.from({ length: readers }, () =>
        proc(...readerCommand(kind, 'uds', socket, FRAMES)),
      );
      await Promise.all(rs.map((r) => r.next()));
      await writer.next(); // accepted everyone
      writer.go();
      const results = await Promise.all(rs.map((r) => r.next()));
      await writer.next();
      return { latency: results.flatMap((r) => r.latency_ns) };
    }

    const samples = {};
    const rows = [];
    try {
      // Peers run interleaved with ours (REPEATS rounds of futex, shm, Unix socket), so changes in
      // machine load hit all of them alike; samples are pooled across the rounds.
      async function futexWake(waiters) {
        const p = proc(bin, ['pingpong', String(FRAMES), String(INTERVAL_US), String(waiters)]);
        return (await p.next()).latency_ns;
      }

      for (const kind of ['c', 'node']) {
        for (const readers of [1, 4]) {
          ctx.log(
            `wake-up: ${kind} readers x${readers} (futex peers, shm, Unix socket) x${REPEATS}`,
          );
          const pooled = { futex1: [], futexN: [], shm: [], uds: [] };
          for (let i = 0; i < REPEATS; i++) {
            pooled.futex1.push(...(await futexWake(1)));
            if (readers > 1) pooled.futexN.push(...(await futexWake(readers)));
            pooled.shm.push(...(await runShm(kind, readers)).latency);
            pooled.uds.push(...(await runUds(kind, readers)).latency);
          }
          for (const [key, v] of Object.entries(pooled))
            if (v.length) samples[`${key}_${kind}_${readers}`] = v;
          const futex = {
            1: summarize(pooled.futex1),
            [readers]: summarize(readers > 1 ? pooled.futexN : pooled.futex1),
          };
          const a = summarize(pooled.shm);
          const b = summarize(pooled.uds);
          const who = `${kind === 'c' ? 'C' : 'Node'} reader${readers > 1 ? 's' : ''}`;
          const limit = kind === 'c' ? 1.5 : 4;
          for (const p of ['p50', 'p99']) {
            rows.push({
              what: `shm wake-up ${p}, ${readers} ${who}`,
              ours: a[p],
              peer: b[p],
              peerName: 'Unix socket',
              unit: 'µs',
              target: '< Unix socket',
              limit: 1,
            });
          }
          rows.push({
            what: `shm wake-up p50, ${readers} ${who} vs futex ping-pong`,
            ours: a.p50,
            peer: futex[1].p50,
            peerName: 'futex, 2 processes',
            unit: 'µs',
            target: `≤ ${limit}× futex`,
            limit,
          });
          if (readers > 1) {
            rows.push({
              what: `shm wake-up p50, ${readers} ${who} vs futex, ${readers} waiters`,
              ours: a.p50,
              peer: futex[readers].p50,
              peerName: `futex, ${readers} waiters`,
              unit: 'µs',
              target: `≤ ${limit}× futex`,
              limit,
            });
          }
        }
      }

      ctx.log('writer cost: 1 vs 16 readers');
      const one = await runShm('c', 1, FRAMES * REPEATS);
      const sixteen = await runShm('c', 16, FRAMES * REPEATS);
      Object.assign(samples, {
        publish_1: one.publish,
        publish_16: sixteen.publish,
        publish_cpu_1: one.publishCpu,
        publish_cpu_16: sixteen.publishCpu,
      });
      for (const [label, key] of [
        ['CPU time', 'publishCpu'],
        ['wall time', 'publish'],
      ]) {
        rows.push({
          what: `writer publish ${label} p50, 16 readers vs 1`,
          ours: summarize(sixteen[key]).p50,
          peer: summarize(one[key]).p50,
          peerName: '1 reader',
          unit: 'µs',
          target: '≤ 1.1×',
          limit: 1.1,
        });
      }

      // A raw ML channel's ring (640x640 RGB, 1.2 MB a picture, 4 slots) next to the H.264 ring,
      // timed from just before the publish call: the writer's copy is part of what a reader waits.
      for (const kind of ['c', 'node']) {
        ctx.log(`raw ring: 640x640 RGB vs H.264 frames, ${kind} reader x${REPEATS}`);
        const pooled = { raw: [], h264: [] };
        for (let i = 0; i < REPEATS; i++) {
          // 15 fps pictures (an ML channel's rate), so the reader is never a ring behind.
          pooled.raw.push(...(await runShm(kind, 1, RAW_FRAMES, 'stamped-raw', 66_667)).latency);
          pooled.h264.push(...(await runShm(kind, 1, RAW_FRAMES, 'stamped-gop', 66_667)).latency);
        }
        samples[`raw_${kind}`] = pooled.raw;
        samples[`h264_stamped_${kind}`] = pooled.h264;
        const raw = summarize(pooled.raw);
        const h264 = summarize(pooled.h264);
        for (const p of ['p50', 'p99']) {
          rows.push({
            what: `raw ring 640x640 RGB publish→${kind === 'c' ? 'C' : 'Node'} reader ${p} (copy included)`,
            ours: raw[p],
            peer: h264[p],
            peerName: 'H.264 ring, same timing',
            unit: 'µs',
            target: 'measured (a 1.2 MB copy)',
          });
        }
      }

      ctx.log(
        `integrity: ${INTEGRITY_FRAMES} checksummed frames at full speed, 2 verifying readers`,
      );
      const writer = proc(bin, ['shm-writer', name, String(INTEGRITY_FRAMES), '0', 'checksum']);
      await writer.next();
      const vs = [1, 2].map(() =>
        proc(bin, ['shm-reader', name, String(INTEGRITY_FRAMES), 'verify']),
      );
      await Promise.all(vs.map((r) => r.next()));
      writer.go();
      const verified = await Promise.all(vs.map((r) => r.next()));
      await writer.next();
      await writer.next();
      samples.integrity = verified.map(({ latency_ns, ...rest }) => rest);
      const bad = verified.reduce((n, v) => n + v.bad_accepted, 0);
      const accepted = verified.reduce((n, v) => n + v.accepted, 0);
      const torn = verified.reduce((n, v) => n + v.torn, 0);
      rows.push({
        what: `integrity: torn frames accepted (${INTEGRITY_FRAMES / 1e6}M frames; ${accepted} accepted, ${torn} torn caught)`,
        ours: bad,
        unit: '',
        target: '0',
        pass: bad === 0 && accepted > 0,
      });
    } finally {
      rmSync(`/dev/shm${name}`, { force: true });
      rmSync(socket, { force: true });
    }
    return { rows, samples };
  },
};
