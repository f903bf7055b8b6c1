// Real processes on a real /dev/shm segment: several readers, a slow reader, a torture run, a
// writer killed and restarted, a reader killed mid-read.
import { afterEach, describe, expect, it } from 'vitest';
import { type ShmFrame, ShmReader } from '../src/index';
import { Child, type Line, segmentsOfThisTest } from './helpers';

const name = segmentsOfThisTest();
const children: Child[] = [];
function child(fixture: string, options: object): Child {
  const c = Child.node(fixture, options);
  children.push(c);
  return c;
}
afterEach(() => {
  for (const c of children.splice(0)) if (c.process.exitCode === null) c.kill();
});

type Summary = Line & {
  received: number;
  lost: number;
  accepted: number;
  torn: number;
  badAccepted: number;
  outOfOrder: number;
};
const summary = (c: Child) => c.waitFor('summary') as Promise<Summary>;

/** A writer process, then reader processes attached to it, then the writer starts publishing. */
async function session(writer: object, readers: object[]) {
  const n = name();
  const w = child('writer.mjs', { name: n, waitSignal: true, ...writer });
  await w.waitFor('ready');
  const rs = readers.map((r) =>
    child('reader.mjs', { name: n, start: 'oldest', verify: true, ...r }),
  );
  await Promise.all(rs.map((r) => r.waitFor('ready')));
  w.kill('SIGUSR1');
  return { writer: w, readers: rs, done: async () => (await w.waitFor('done')).stats };
}

const paced = { frames: 300, intervalMs: 2, slots: 512, totalBytes: 4 << 20 };

describe('shm across processes', () => {
  it('delivers every frame in order to several reader processes', async () => {
    const s = await session(paced, [{ count: 300 }, { count: 300 }, { count: 300 }]);
    for (const r of await Promise.all(s.readers.map(summary))) {
      expect(r).toMatchObject({
        received: 300,
        lost: 0,
        outOfOrder: 0,
        accepted: 300,
        torn: 0,
        badAccepted: 0,
      });
    }
    expect(await s.done()).toMatchObject({ published: 300, rejected: 0 });
  });

  it('tells a slow reader how many frames it lost while a fast one gets all; the writer is unaffected', async () => {
    const s = await session({ frames: 400, intervalMs: 1, slots: 64, totalBytes: 1 << 20 }, [
      { untilClosed: true },
      { untilClosed: true, pauseAfter: 10, pauseMs: 600 },
    ]);
    const [fast, slow] = (await Promise.all(s.readers.map(summary))) as [Summary, Summary];
    expect(fast).toMatchObject({ received: 400, lost: 0, outOfOrder: 0, badAccepted: 0 });
    // Every frame is either received or counted lost, in order: nothing vanishes silently.
    expect(slow.lost).toBeGreaterThan(0);
    expect(slow.received + slow.lost).toBe(400);
    expect(slow).toMatchObject({ outOfOrder: 0, badAccepted: 0 });
    expect(await s.done()).toMatchObject({ published: 400, rejected: 0 });
  });

  it('torture: a full-speed writer and verifying readers; no torn frame is ever accepted', async () => {
    const frames = 200_000;
    const s = await session({ frames, slots: 8, totalBytes: 1 << 16, maxLength: 4096 }, [
      { untilClosed: true },
      { untilClosed: true },
    ]);
    for (const r of await Promise.all(s.readers.map(summary))) {
      expect(r.badAccepted).toBe(0);
      expect(r.accepted).toBeGreaterThan(1000);
      expect(r.outOfOrder).toBe(0);
      expect(r.received + r.lost).toBe(frames);
    }
    expect(await s.done()).toMatchObject({ published: frames, rejected: 0 });
  }, 60_000);

  it('a writer killed with SIGKILL and restarted: readers report it and continue on the new epoch', async () => {
    const options = { name: name(), frames: 0, intervalMs: 5, slots: 16 };
    const first = child('writer.mjs', options);
    const epoch1 = (await first.waitFor('ready')).epoch as number;
    const reader = ShmReader.open(options.name, { staleAfterMs: 200 });
    const events: string[] = [];
    reader.on('writer-dead', (e) => events.push(`dead:${e.reason}`));
    reader.on('resync', (e) => events.push(`resync:${e.previousEpoch === epoch1}`));
    const frames: ShmFrame[] = [];
    let second: Child | undefined;
    for await (const f of reader) {
      frames.push(f);
      if (frames.length === 5) {
        first.kill('SIGKILL');
        await first.exited;
        await new Promise((resolve) => setTimeout(resolve, 400));
        second = child('writer.mjs', options);
      }
      if (f.epoch !== epoch1 && frames.filter((x) => x.epoch === f.epoch).length === 5) break;
    }
    reader.close();
    const epoch2 = (await (second as Child).waitFor('ready')).epoch as number;
    expect(epoch2).toBeGreaterThan(epoch1);
    expect(events).toEqual(['dead:stale', 'resync:true']);
    expect(frames.filter((f) => f.epoch === epoch2).map((f) => f.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(frames.slice(0, 5).every((f) => f.epoch === epoch1)).toBe(true);
  });

  it('a reader killed mid-read: the writer and the other readers do not notice', async () => {
    const s = await session(paced, [{ count: 300 }, { count: 300, echo: true }]);
    const [survivor, victim] = s.readers as [Child, Child];
    await victim.waitFor('frame');
    victim.kill('SIGKILL');
    expect(await victim.exited).toBeNull();
    expect(await summary(survivor)).toMatchObject({
      received: 300,
      lost: 0,
      outOfOrder: 0,
      accepted: 300,
      badAccepted: 0,
    });
    expect(await s.done()).toMatchObject({ published: 300, rejected: 0 });
  });
});
