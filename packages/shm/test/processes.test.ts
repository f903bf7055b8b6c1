// Real processes on a real /dev/shm segment: several readers, a slow reader, a torture run, a
// writer killed and restarted, a reader killed mid-read.
import { afterEach, describe, expect, it } from 'vitest';
import { type ShmFrame, ShmReader } from '../src/index';
import { Child, type Line, removeSegment, segmentName } from './helpers';

const names: string[] = [];
const children: Child[] = [];
function name(): string {
  const n = segmentName();
  names.push(n);
  return n;
}
function child(fixture: string, options: object): Child {
  const c = Child.node(fixture, options);
  children.push(c);
  return c;
}
afterEach(() => {
  for (const c of children.splice(0)) if (c.process.exitCode === null) c.kill();
  for (const n of names.splice(0)) removeSegment(n);
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

describe('shm across processes', () => {
  it('delivers every frame in order to several reader processes', async () => {
    const n = name();
    const writer = child('writer.mjs', {
      name: n,
      frames: 300,
      intervalMs: 2,
      slots: 512,
      totalBytes: 4 << 20,
      waitSignal: true,
    });
    await writer.waitFor('ready');
    const readers = [1, 2, 3].map(() =>
      child('reader.mjs', { name: n, count: 300, start: 'oldest', verify: true }),
    );
    await Promise.all(readers.map((r) => r.waitFor('ready')));
    writer.kill('SIGUSR1');
    for (const s of await Promise.all(readers.map(summary))) {
      expect(s).toMatchObject({
        received: 300,
        lost: 0,
        outOfOrder: 0,
        accepted: 300,
        torn: 0,
        badAccepted: 0,
      });
    }
    expect((await writer.waitFor('done')).stats).toMatchObject({ published: 300, rejected: 0 });
  });

  it('tells a slow reader how many frames it lost while a fast one gets all; the writer is unaffected', async () => {
    const n = name();
    const writer = child('writer.mjs', {
      name: n,
      frames: 400,
      intervalMs: 1,
      slots: 64,
      totalBytes: 1 << 20,
      waitSignal: true,
    });
    await writer.waitFor('ready');
    const fast = child('reader.mjs', { name: n, untilClosed: true, start: 'oldest', verify: true });
    const slow = child('reader.mjs', {
      name: n,
      untilClosed: true,
      start: 'oldest',
      verify: true,
      pauseAfter: 10,
      pauseMs: 600,
    });
    await Promise.all([fast.waitFor('ready'), slow.waitFor('ready')]);
    writer.kill('SIGUSR1');
    const [f, s] = await Promise.all([summary(fast), summary(slow)]);
    expect(f).toMatchObject({ received: 400, lost: 0, outOfOrder: 0, badAccepted: 0 });
    // Every frame is either received or counted lost, in order: nothing vanishes silently.
    expect(s.lost).toBeGreaterThan(0);
    expect(s.received + s.lost).toBe(400);
    expect(s).toMatchObject({ outOfOrder: 0, badAccepted: 0 });
    expect((await writer.waitFor('done')).stats).toMatchObject({ published: 400, rejected: 0 });
  });

  it('torture: a full-speed writer and verifying readers; no torn frame is ever accepted', async () => {
    const n = name();
    const frames = 200_000;
    const writer = child('writer.mjs', {
      name: n,
      frames,
      slots: 8,
      totalBytes: 1 << 16,
      maxLength: 4096,
      waitSignal: true,
    });
    await writer.waitFor('ready');
    const readers = [1, 2].map(() =>
      child('reader.mjs', { name: n, untilClosed: true, start: 'oldest', verify: true }),
    );
    await Promise.all(readers.map((r) => r.waitFor('ready')));
    writer.kill('SIGUSR1');
    for (const s of await Promise.all(readers.map(summary))) {
      expect(s.badAccepted).toBe(0);
      expect(s.accepted).toBeGreaterThan(1000);
      expect(s.outOfOrder).toBe(0);
      expect(s.received + s.lost).toBe(frames);
    }
    expect((await writer.waitFor('done')).stats).toMatchObject({ published: frames, rejected: 0 });
  }, 60_000);

  it('a writer killed with SIGKILL and restarted: readers report it and continue on the new epoch', async () => {
    const n = name();
    const options = { name: n, frames: 0, intervalMs: 5, slots: 16 };
    const first = child('writer.mjs', options);
    const epoch1 = (await first.waitFor('ready')).epoch as number;
    const reader = ShmReader.open(n, { staleAfterMs: 200 });
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
    const after = frames.filter((f) => f.epoch === epoch2);
    expect(after.map((f) => f.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(frames.slice(0, 5).map((f) => f.epoch)).toEqual([
      epoch1,
      epoch1,
      epoch1,
      epoch1,
      epoch1,
    ]);
  });

  it('a reader killed mid-read: the writer and the other readers do not notice', async () => {
    const n = name();
    const writer = child('writer.mjs', {
      name: n,
      frames: 300,
      intervalMs: 2,
      slots: 512,
      totalBytes: 4 << 20,
      waitSignal: true,
    });
    await writer.waitFor('ready');
    const survivor = child('reader.mjs', { name: n, count: 300, start: 'oldest', verify: true });
    const victim = child('reader.mjs', {
      name: n,
      count: 300,
      start: 'oldest',
      verify: true,
      echo: true,
    });
    await Promise.all([survivor.waitFor('ready'), victim.waitFor('ready')]);
    writer.kill('SIGUSR1');
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
    expect((await writer.waitFor('done')).stats).toMatchObject({ published: 300, rejected: 0 });
  });
});
