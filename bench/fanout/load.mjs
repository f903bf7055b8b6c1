// One load-generator process (forked by fanout.bench.mjs with an IPC channel): opens `count`
// `ws` clients to the server under test and stamps every message it receives with
// process.hrtime (CLOCK_MONOTONIC, one clock for every process on the machine; see the header
// of fanout.bench.mjs). With `stalled` = 1 it also opens one client that never reads.
//   argv: url count stalled
//   parent → child: {type:'measure'} start recording, {type:'report'} send samples,
//                   {type:'close'}
//   child → parent: {type:'ready'}, {type:'measuring'}, {type:'report', ...},
//                   {type:'error', message}
import { dependencyOf } from './deps.mjs';

const { default: WebSocket } = await dependencyOf('apps/streamer', 'ws');
const [url, countText, stalledText] = process.argv.slice(2);
const count = Number(countText);

function open(onMessage) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.on('message', onMessage);
    ws.once('open', () => resolve(ws));
    ws.once('error', (err) => reject(new Error(`load client ${url}: ${err.message}`)));
  });
}

let recording = false;
let trailerMs = [];
let receivedNs = [];
let clientOf = [];
const clients = [];
try {
  for (let i = 0; i < count; i++) {
    clients.push(
      await open((data) => {
        const now = process.hrtime.bigint();
        if (!recording) return;
        trailerMs.push(Number(data.readBigUInt64LE(data.length - 8)));
        receivedNs.push(Number(now));
        clientOf.push(i);
      }),
    );
  }
} catch (err) {
  process.send({ type: 'error', message: err.message });
  process.exit(1);
}

// The stalled client: its socket is paused once open, so the kernel's buffers fill, the TCP
// window closes and the server's queue for it is all that can grow.
let stalled = null;
let stalledMessages = 0;
let stalledClose = null;
if (stalledText === '1') {
  stalled = await open(() => stalledMessages++);
  stalled.pause();
  stalled.on('close', (code) => {
    stalledClose = code;
  });
}

// Exits once the channel closes: after 'close', and when the benchmark died or was killed.
process.on('disconnect', () => process.exit(0));
process.on('message', (msg) => {
  if (msg.type === 'measure') {
    trailerMs = [];
    receivedNs = [];
    clientOf = [];
    recording = true;
    process.send({ type: 'measuring' });
  } else if (msg.type === 'report') {
    recording = false;
    process.send({
      type: 'report',
      trailerMs,
      receivedNs,
      clientOf,
      count,
      closed: clients.filter((ws) => ws.readyState !== WebSocket.OPEN).length,
      stalled: stalled && {
        messagesRead: stalledMessages,
        closeCode: stalledClose,
        open: stalled.readyState === WebSocket.OPEN,
      },
    });
  } else if (msg.type === 'close') {
    for (const ws of clients) ws.terminate();
    stalled?.terminate();
    process.disconnect();
  }
});
process.send({ type: 'ready' });
