// What the viewer benchmarks run against: the real `cam-streamer` CLI on its test camera, and a
// static server for the seed's player page (bench/viewer/seed.html + jmuxer's UMD build).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { resolveIn } from '../fanout/deps.mjs';

const cli = fileURLToPath(new URL('../../apps/streamer/dist/cli.js', import.meta.url));
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

/** Starts `cam-streamer --source test` on 127.0.0.1 and waits for its start line. */
export function startStreamerCli({ width, height, fps, gop, bitrateKbps }, extraArgs = []) {
  const args = [
    ...['--source', 'test', '--width', String(width), '--height', String(height)],
    ...['--fps', String(fps), '--gop', String(gop), '--bitrate', String(bitrateKbps)],
    ...['--host', '127.0.0.1'],
    ...['--port', '0', '--rtsp-port', 'none', '--shm-name', 'none', '--log-json'],
    ...extraArgs,
  ];
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = [];
  return new Promise((resolve, reject) => {
    const fail = (why) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`cam-streamer ${args.join(' ')}: ${why}\n${lines.join('\n')}`));
    };
    const timer = setTimeout(
      () => fail(`no start line in ${START_TIMEOUT_MS} ms`),
      START_TIMEOUT_MS,
    );
    child.once('error', (err) => fail(`cannot run: ${err.message}`));
    child.once('exit', (code, signal) => fail(`exited (${code ?? signal}) before it started`));
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      if (lines.length > 20) lines.shift();
      const event = line.startsWith('{') ? JSON.parse(line) : {};
      if (event.event !== 'streamer started') return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      const port = Number(String(event.listen).split(':').at(-1));
      resolve({
        port,
        implementation: event.server,
        join: event.join,
        /** Gone at once, no close frames: as a crash or a pulled cable looks to a client. */
        kill: () => child.kill('SIGKILL'),
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            const kill = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
            child.once('exit', () => {
              clearTimeout(kill);
              done();
            });
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

/** Serves the seed's player page on 127.0.0.1 (a free port). */
export function serveSeedPage() {
  const files = {
    '/seed.html': ['text/html', readFileSync(new URL('./seed.html', import.meta.url))],
    '/jmuxer.min.js': [
      'text/javascript',
      readFileSync(resolveIn('packages/player', 'jmuxer/dist/jmuxer.min.js')),
    ],
  };
  const server = createServer((req, res) => {
    const file = files[new URL(req.url, 'http://x').pathname];
    res.writeHead(file ? 200 : 404, { 'content-type': file?.[0] ?? 'text/plain' });
    res.end(file?.[1] ?? 'not found\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}/seed.html`,
        close: () => new Promise((done) => server.close(done)),
      }),
    );
  });
}
