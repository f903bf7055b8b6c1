// `cam-streamer`: parses flags > CAM_* env > --config file, runs the streamer until SIGINT or
// SIGTERM, then shuts down cleanly (clients closed with 1001, shm unlinked) and exits 0.
import { ConfigError, flagOf, helpText, parseCli } from './config';
import { createLogger } from './log';
import { startStreamer, VERSION } from './streamer';

function fail(message: string): never {
  process.stderr.write(`cam-streamer: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseCli>;
  try {
    parsed = parseCli(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  if (parsed.kind === 'help') {
    process.stdout.write(helpText(VERSION));
    return;
  }
  if (parsed.kind === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  const { config } = parsed;
  const log = createLogger({ level: config.logLevel, json: config.logJson });
  // Before the start, not after it: a signal while it starts (or just after its start line,
  // before `await` returns here) would otherwise end the process by the default action, with
  // the shm segment and the camera not released. Such a signal stops the streamer as soon as
  // it has started; a second one ends the process at once (the handlers are `once`).
  let streamer: Awaited<ReturnType<typeof startStreamer>> | undefined;
  let stopBy: NodeJS.Signals | null = null;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stopBy = signal;
      void streamer?.stop(signal);
    });
  }
  try {
    streamer = await startStreamer(config, { log });
  } catch (err) {
    const e = err as Error & { code?: string; parameter?: string };
    const what = e.parameter ? `${flagOf(e.parameter)}: ` : '';
    process.stderr.write(`cam-streamer: ${what}${e.message}${e.code ? ` (${e.code})` : ''}\n`);
    process.exit(1);
  }
  if (stopBy) void streamer.stop(stopBy);
  const result = await streamer.done;
  process.exit(result.ok ? 0 : 1);
}

void main();
