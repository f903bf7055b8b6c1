import { chownSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Child, segmentsOfThisTest } from '../test/helpers';
import { ShmError, type ShmFrame, ShmReader, ShmWriter, shmLayout } from './index';

const name = segmentsOfThisTest();

const small = { totalBytes: 1 << 18, slots: 8 };
// A small Annex B access unit (one non-IDR slice NAL) whose body identifies the frame.
const bytes = (seq: number) => {
  const au = new Uint8Array(64).fill(seq);
  au.set([0, 0, 0, 1, 0x41]);
  return au;
};

async function take(r: ShmReader, count: number): Promise<ShmFrame[]> {
  const out: ShmFrame[] = [];
  for await (const f of r) {
    out.push(f);
    if (out.length === count) break;
  }
  return out;
}

function openError(n: string): ShmError {
  try {
    ShmReader.open(n).close();
  } catch (err) {
    expect(err).toBeInstanceOf(ShmError);
    return err as ShmError;
  }
  throw new Error(`expected ${n} to fail`);
}

describe('ShmReader', () => {
  it('returns each frame in order as a zero-copy view with its metadata', async () => {
    const n = name();
    const w = ShmWriter.create(n, small);
    const r = ShmReader.open(n);
    const pending = take(r, 3);
    for (let i = 1; i <= 3; i++) w.publish(bytes(i), 1_000 + i, i === 1);
    const frames = await pending;
    expect(frames.map((f) => [f.seq, f.timestampMs, f.keyframe, f.lost, f.epoch])).toEqual([
      [1, 1001, true, 0, w.stats().epoch],
      [2, 1002, false, 0, w.stats().epoch],
      [3, 1003, false, 0, w.stats().epoch],
    ]);
    const f = frames[2] as ShmFrame;
    expect(f.data.buffer).toBe((frames[0] as ShmFrame).data.buffer); // views of one mapping
    expect(f.data).toEqual(bytes(3));
    expect(f.isValid()).toBe(true);
    expect(f.copy()).toEqual(bytes(3));
    expect(Number(process.hrtime.bigint() / 1000n)).toBeGreaterThanOrEqual(f.publishedUs);
    expect(r.stats()).toMatchObject({ received: 3, lost: 0, resyncs: 0 });
    r.close();
    expect(await r.next()).toBeNull();
    w.close();
  });

  it('starts at the next, the oldest, or the newest keyframe in the ring', async () => {
    const n = name();
    const w = ShmWriter.create(n, small);
    for (let i = 1; i <= 5; i++) w.publish(bytes(i), i, i === 1 || i === 4);
    const oldest = ShmReader.open(n, { start: 'oldest' });
    const key = ShmReader.open(n, { start: 'newest-keyframe' });
    const next = ShmReader.open(n, { start: 'next' });
    w.publish(bytes(6), 6, false);
    expect((await take(oldest, 1))[0]?.seq).toBe(1);
    expect((await take(key, 1))[0]?.seq).toBe(4);
    expect((await take(next, 1))[0]?.seq).toBe(6);
    for (const r of [oldest, key, next]) r.close();
    expect(() => ShmReader.open(n, { start: 'middle' as 'next' })).toThrow(/start must be/);
    expect(() => ShmReader.open(n, { start: 'toString' as 'next' })).toThrow(/start must be/);
    w.close();
  });

  it('tells a slow reader exactly how many frames it lost, then continues in order', async () => {
    const n = name();
    const w = ShmWriter.create(n, small);
    const r = ShmReader.open(n);
    for (let i = 1; i <= 100; i++) w.publish(bytes(i), i, false);
    const frames = await take(r, 7);
    // 8 slots: frames 94..100 can be intact (frame 93 shares a slot with the next write).
    expect(frames.map((f) => [f.seq, f.lost])).toEqual([
      [94, 93],
      [95, 0],
      [96, 0],
      [97, 0],
      [98, 0],
      [99, 0],
      [100, 0],
    ]);
    expect(r.stats()).toMatchObject({ received: 7, lost: 93 });
    expect(w.stats()).toMatchObject({ published: 100, rejected: 0 });
    r.close();
    w.close();
  });

  it('reports an overwritten frame: isValid() false, copy() throws OVERWRITTEN', async () => {
    const n = name();
    const w = ShmWriter.create(n, small);
    const r = ShmReader.open(n);
    w.publish(bytes(1), 1, false);
    const [f] = (await take(r, 1)) as [ShmFrame];
    for (let i = 2; i <= 9; i++) w.publish(bytes(i), i, false); // frame 9 reuses frame 1's slot
    expect(f.isValid()).toBe(false);
    expect(() => f.copy()).toThrow(expect.objectContaining({ code: 'OVERWRITTEN' }));
    r.close();
    w.close();
  });

  it("reports a writer that closed, then resyncs to a new writer's segment", async () => {
    const n = name();
    const w1 = ShmWriter.create(n, small);
    const r = ShmReader.open(n, { staleAfterMs: 60_000 });
    const dead = new Promise((resolve) => r.once('writer-dead', resolve));
    const firstEpoch = w1.stats().epoch;
    w1.close();
    const pending = take(r, 1);
    expect(await dead).toMatchObject({ reason: 'closed' });
    const resync = new Promise((resolve) => r.once('resync', resolve));
    const w2 = ShmWriter.create(n, small);
    w2.publish(bytes(1), 1, true);
    const [f] = (await pending) as [ShmFrame];
    expect(await resync).toEqual({ epoch: w2.stats().epoch, previousEpoch: firstEpoch });
    expect(w2.stats().epoch).toBeGreaterThan(firstEpoch);
    expect([f.seq, f.epoch]).toEqual([1, w2.stats().epoch]);
    expect(r.stats().resyncs).toBe(1);
    r.close();
    w2.close();
  });

  it('reports a writer whose heartbeat went stale', async () => {
    const n = name();
    const w = ShmWriter.create(n, { ...small, heartbeatMs: 60_000 });
    const r = ShmReader.open(n, { staleAfterMs: 50 });
    const dead = new Promise((resolve) => r.once('writer-dead', resolve));
    const pending = r.next();
    expect(await dead).toMatchObject({ reason: 'stale' });
    r.close();
    expect(await pending).toBeNull();
    w.close();
  });

  it('fails clearly on a missing segment and a bad name', () => {
    const n = name();
    expect(openError(n)).toMatchObject({
      code: 'NOT_FOUND',
      message: `shm open ${n}: no such segment (ENOENT)`,
    });
    expect(openError('video')).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/shm open video: invalid name/),
    });
    expect(() => ShmReader.open(n, { staleAfterMs: 0 })).toThrow(/staleAfterMs/);
  });

  it('fails clearly on wrong magic, wrong version and a truncated segment', () => {
    const n = name();
    const w = ShmWriter.create(n, small);
    const image = readFileSync(`/dev/shm${n}`);
    w.close();
    const layout = shmLayout();

    const badMagic = name();
    const m = Buffer.from(image);
    m.writeUInt32LE(0xdeadbeef, layout.header.magic as number);
    writeFileSync(`/dev/shm${badMagic}`, m);
    expect(openError(badMagic)).toMatchObject({
      code: 'BAD_MAGIC',
      message: expect.stringMatching(new RegExp(`shm open ${badMagic}: bad magic 0xdeadbeef`)),
    });

    const badVersion = name();
    const v = Buffer.from(image);
    v.writeUInt32LE(layout.version + 1, layout.header.version as number);
    writeFileSync(`/dev/shm${badVersion}`, v);
    expect(openError(badVersion)).toMatchObject({
      code: 'BAD_VERSION',
      message: expect.stringMatching(
        new RegExp(`shm open ${badVersion}: layout version ${layout.version + 1}`),
      ),
    });

    const cut = name();
    writeFileSync(`/dev/shm${cut}`, image.subarray(0, 8192));
    expect(openError(cut)).toMatchObject({
      code: 'TRUNCATED',
      message: expect.stringMatching(new RegExp(`shm open ${cut}: truncated`)),
    });

    const tiny = name();
    writeFileSync(`/dev/shm${tiny}`, image.subarray(0, 10));
    expect(openError(tiny)).toMatchObject({
      code: 'TRUNCATED',
      message: `shm open ${tiny}: truncated: 10 bytes, the header alone is ${layout.headerBytes}`,
    });
  });

  it('fails clearly when the user may not read the segment (0600, other user)', async () => {
    const n = name();
    const w = ShmWriter.create(n, small);
    // Another user's segment, which root would read all the same (CAP_DAC_OVERRIDE): the reader
    // runs as root with no capabilities, the segment owned by nobody. (A reader run as nobody
    // would also have to read this checkout, which a clone in a 0700 directory does not allow.)
    expect(statSync(`/dev/shm${n}`).mode & 0o777).toBe(0o600);
    chownSync(`/dev/shm${n}`, 65534, 65534);
    const noCapabilities = ['setpriv', '--inh-caps=-all', '--bounding-set=-all', '--'];
    const child = Child.node('open.mjs', { name: n }, noCapabilities);
    const line = await child.waitFor('error');
    expect(line).toMatchObject({
      code: 'PERMISSION_DENIED',
      message: `shm open ${n}: permission denied (EACCES)`,
    });
    await child.exited;
    w.close();
  });
});
