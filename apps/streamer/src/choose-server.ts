// Which WebSocket server runs: uWebSockets.js where its binary loads, else the pure-JS ws.
import type { ServerChoice } from './config';
import type { Logger } from './log';
import type { StartServer } from './server';
import { loadUwsServer } from './server-uws';
import { directSend, startWsServer } from './server-ws';

/**
 * Loads the server implementation: uWebSockets.js (uws-pack) where its binary loads, else ws.
 * `uws` insists (an error when it cannot load), `ws` skips uWebSockets.js. Logs the choice.
 */
export async function chooseServer(choice: ServerChoice, log: Logger): Promise<StartServer> {
  if (choice !== 'ws') {
    try {
      const start = await loadUwsServer();
      log.info('server implementation', {
        server: 'uWebSockets.js',
        why: choice === 'uws' ? 'requested' : 'binary loaded',
      });
      return start;
    } catch (err) {
      if (choice === 'uws') {
        throw new Error(`--server uws: uWebSockets.js cannot load here: ${firstLine(err)}`);
      }
      log.warn('server implementation', { server: 'ws', why: uwsUnavailable(err) });
    }
  } else {
    log.info('server implementation', { server: 'ws', why: 'requested' });
  }
  const direct = directSend();
  if (direct.send === null) {
    log.warn(
      'native socket send unavailable: ws writes every frame through Node streams (more CPU per client)',
      {
        reason: firstLine(direct.reason),
      },
    );
  }
  return startWsServer;
}

/** Why uWebSockets.js is not running; names the opt-in install when the package is absent. */
export function uwsUnavailable(err: unknown): string {
  if ((err as { code?: string } | null)?.code === 'ERR_MODULE_NOT_FOUND') {
    return 'uws-pack is not installed (optional; `npm install uws-pack@20.0.8` gives uWebSockets.js on linux x64/arm64/arm)';
  }
  return `uWebSockets.js cannot load here: ${firstLine(err)}`;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}
