// Ping/idle timeout on both servers at once (it takes seconds: uWebSockets.js counts idle time in
// 4 s steps and allows no less than 8 s).
import { expect, it } from 'vitest';
import { openClient, stalledClient, waitFor } from './clients';
import { IMPLEMENTATIONS, startHarness } from './harness';

it('drops a client that answers no ping within the idle timeout and keeps one that does', async () => {
  const results = await Promise.all(
    IMPLEMENTATIONS.map(async (impl) => {
      const h = await startHarness(impl, { idleTimeoutS: 8 });
      try {
        const live = await openClient(h.url); // ws answers pings by itself
        const silent = await stalledClient(h.server.port); // reads nothing, so answers nothing
        await waitFor('both clients', () => h.fanout.size === 2);
        const openedAt = Date.now();
        // Bounded at 30 s: well past uWebSockets.js's 8 s + 4 s granularity and ws's 2 × 4 s.
        await waitFor(`${impl} to drop the silent client`, () => h.fanout.size === 1, 3000);
        silent.resume();
        await silent.closed;
        console.log(
          `[${impl}] silent client dropped after ${Date.now() - openedAt} ms (idle timeout 8 s)`,
        );
        return { impl, liveOpen: live.ws.readyState === live.ws.OPEN };
      } finally {
        await h.close();
      }
    }),
  );
  expect(results).toEqual([
    { impl: 'uws', liveOpen: true },
    { impl: 'ws', liveOpen: true },
  ]);
}, 60_000);
