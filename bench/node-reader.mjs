// The Node side of bench/shm.bench.mjs: a reader process.
//   node node-reader.mjs shm NAME FRAMES     @cam/shm ShmReader
//   node node-reader.mjs stamped NAME FRAMES  the same, timed from the stamp in the frame's first
//                                             8 bytes (just before the writer's publish call)
//   node node-reader.mjs uds PATH FRAMES     the same frames over a Unix socket (net)
// Prints {"ready":1} once attached, then {"latency_ns":[...]}: CLOCK_MONOTONIC from just before
// the writer's publish/send to this process holding the frame.
import { createConnection } from 'node:net';
import { ShmReader } from '../packages/shm/dist/index.js';

const [mode, target, count] = [process.argv[2], process.argv[3], Number(process.argv[4])];
const latency = [];
const now = () => Number(process.hrtime.bigint());
const done = () => process.stdout.write(`${JSON.stringify({ latency_ns: latency })}\n`);

if (mode === 'shm' || mode === 'stamped') {
  const reader = ShmReader.open(target);
  reader.on('writer-dead', () => reader.close()); // it lost frames and the writer is done
  process.stdout.write('{"ready":1}\n');
  for await (const frame of reader) {
    if (mode === 'stamped') {
      const d = frame.data;
      const t0 = new DataView(d.buffer, d.byteOffset, 8).getBigUint64(0, true);
      if (!frame.isValid()) continue;
      latency.push(now() - Number(t0));
    } else {
      latency.push(now() - frame.publishedUs * 1000);
    }
    if (latency.length === count) break;
  }
  reader.close();
  done();
} else {
  const socket = createConnection(target, () => process.stdout.write('{"ready":1}\n'));
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    // [u32 length][u32 reserved][u64 sent_ns][payload]
    while (pending.length >= 16 && pending.length >= 16 + pending.readUInt32LE(0)) {
      const length = pending.readUInt32LE(0);
      latency.push(now() - Number(pending.readBigUInt64LE(8)));
      pending = pending.subarray(16 + length);
      if (latency.length === count) {
        socket.destroy();
        done();
        return;
      }
    }
  });
}
