// A child process with an IPC channel that answers typed messages ({type: ...}). Its output
// goes to our stderr, so a benchmark's table on stdout stays clean.
import { fork, spawn } from 'node:child_process';

const CLOSE_GRACE_MS = 5000;

/**
 * `execArgv`: Node flags for the child (e.g. ['--jitless']); none by default. `wrapper`: a
 * command that runs Node (e.g. ['valgrind', '--tool=callgrind']); the IPC channel passes through.
 */
export function forkChild(file, args, label, execArgv = [], wrapper = null) {
  const stdio = ['ignore', 'pipe', 'pipe', 'ipc'];
  const child = wrapper
    ? spawn(wrapper[0], [...wrapper.slice(1), process.execPath, ...execArgv, file, ...args], {
        stdio,
      })
    : fork(file, args, { stdio, execArgv });
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk) => process.stderr.write(`[${label}] ${chunk}`));
  }
  const inbox = [];
  const waiters = [];
  let exit = null;
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exit = `exited (code ${code}, signal ${signal})`;
      for (const w of waiters.splice(0))
        w.reject(new Error(`${label}: ${exit} while waiting for '${w.type}'`));
      resolve();
    });
  });
  child.on('message', (msg) => {
    const i = waiters.findIndex((w) => w.type === msg.type || msg.type === 'error');
    if (i < 0) {
      inbox.push(msg);
      return;
    }
    const [w] = waiters.splice(i, 1);
    if (msg.type === 'error') w.reject(new Error(`${label}: ${msg.message}`));
    else w.resolve(msg);
  });

  return {
    pid: child.pid,
    send(type) {
      child.send({ type });
    },
    /** The next message of `type` (an 'error' message or an exit rejects), within timeoutMs. */
    wait(type, timeoutMs = 30_000) {
      const queued = inbox.findIndex((m) => m.type === type || m.type === 'error');
      if (queued >= 0) {
        const [msg] = inbox.splice(queued, 1);
        return msg.type === 'error'
          ? Promise.reject(new Error(`${label}: ${msg.message}`))
          : Promise.resolve(msg);
      }
      if (exit) return Promise.reject(new Error(`${label}: ${exit} before '${type}'`));
      return new Promise((resolve, reject) => {
        const waiter = { type, resolve, reject };
        waiters.push(waiter);
        setTimeout(() => {
          const i = waiters.indexOf(waiter);
          if (i < 0) return;
          waiters.splice(i, 1);
          reject(new Error(`${label}: no '${type}' within ${timeoutMs} ms`));
        }, timeoutMs).unref();
      });
    },
    /** Asks the child to close; kills it if it has not exited after a grace period. */
    async close() {
      if (exit) return;
      if (child.connected) child.send({ type: 'close' });
      const timer = setTimeout(() => child.kill('SIGKILL'), CLOSE_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
