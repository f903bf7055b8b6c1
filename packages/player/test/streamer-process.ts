// The real streamer (apps/streamer), run as its own process with the software test source,
// exactly as a user starts it: `cam-streamer --source test ...`. Stopping it sends SIGTERM.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../../apps/streamer/test/rtsp-clients';

const cli = fileURLToPath(new URL('../../../apps/streamer/dist/cli.js', import.meta.url));
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

export interface StreamerProcess {
  /** http://127.0.0.1:PORT */
  httpUrl: string;
  /** ws://127.0.0.1:PORT/ */
  wsUrl: string;
  port: number;
  stop(): Promise<void>;
}

/** Starts `cam-streamer` on 127.0.0.1 (port 0: a free port) and waits for its start line. */
export async function startStreamerProcess(
  port = 0,
  extraArgs: string[] = [],
): Promise<StreamerProcess> {
  // Always an explicit port, as in production: a uWebSockets.js listener that got its port from
  // `--port 0` leaves that port unbindable for a restart while browsers hold half-closed
  // connections to it (seen with Chromium's idle keep-alive sockets); an explicit one does not.
  // With --channels the channels give the sizes and rates (--width beside it is refused).
  const size = extraArgs.includes('--channels')
    ? []
    : ['--width', '640', '--height', '360', '--fps', '30'];
  const args = [
    ...['--source', 'test', ...size, '--gop', '30'],
    ...['--host', '127.0.0.1', '--port', String(port || (await freePort())), '--shm-name', 'none'],
    ...['--rtsp-port', 'none'],
    '--log-json',
    ...extraArgs,
  ];
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = []; // the last lines, for the error message if it never starts
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`cam-streamer did not start in ${START_TIMEOUT_MS} ms:\n${output.join('\n')}`),
      );
    }, START_TIMEOUT_MS);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cam-streamer (${cli}) could not run: ${e.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(
          `cam-streamer exited (${code ?? signal}) before it started:\n${output.join('\n')}`,
        ),
      );
    });
    createInterface({ input: child.stderr }).on('line', (line) => output.push(line));
    createInterface({ input: child.stdout }).on('line', (line) => {
      output.push(line);
      if (output.length > 50) output.shift();
      const event = line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : {};
      if (event.event !== 'streamer started') return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      const listening = Number(String(event.listen).split(':').at(-1));
      resolve({
        httpUrl: `http://127.0.0.1:${listening}`,
        wsUrl: `ws://127.0.0.1:${listening}/`,
        port: listening,
        stop: () => stop(child),
      });
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
