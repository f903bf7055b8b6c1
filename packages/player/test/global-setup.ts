// Once per run of the browser tests (vitest globalSetup): one browser per engine and one stream
// source, shared by every test file (each connects with harness.ts), stopped after the last.
// A test that stops or reconfigures a streamer starts its own.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { ENGINES, type Engine, type SharedBrowser, startSharedBrowser } from './launch-browser.mjs';
import { startStreamerProcess } from './streamer-process';

declare module 'vitest' {
  export interface ProvidedContext {
    /** connectBrowser's endpoint of each engine's browser. */
    browserEndpoints: Record<Engine, string>;
    /** The shared `cam-streamer --source test` (640x360 at 30 fps). */
    streamer: { httpUrl: string; wsUrl: string; port: number };
  }
}

const viewerJs = fileURLToPath(new URL('../dist/viewer/viewer.js', import.meta.url));

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!existsSync(viewerJs)) {
    throw new Error(`${viewerJs} is missing: run \`pnpm --filter @cam/player build\``);
  }
  const started = await Promise.allSettled([
    startStreamerProcess(),
    ...ENGINES.map((engine) => startSharedBrowser(engine)),
  ]);
  const [streamer, ...browsers] = started;
  const stop = async () => {
    await Promise.all(
      started.map((s) => (s.status === 'fulfilled' ? s.value.stop() : Promise.resolve())),
    );
  };
  const failure = started.find((s) => s.status === 'rejected');
  if (failure || streamer?.status !== 'fulfilled') {
    await stop();
    throw failure?.reason;
  }
  const endpoints = {} as Record<Engine, string>;
  for (const b of browsers) {
    const shared = (b as PromiseFulfilledResult<SharedBrowser>).value;
    endpoints[shared.engine] = shared.endpoint;
  }
  const { httpUrl, wsUrl, port } = streamer.value;
  project.provide('browserEndpoints', endpoints);
  project.provide('streamer', { httpUrl, wsUrl, port });
  return stop;
}
