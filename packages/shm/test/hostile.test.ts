// Hostile and broken segments: a writer of the same user that rewrites the header, corrupts a
// slot or truncates the file after readers opened it, a header whose sizes wrap past 2^64, and a
// FIFO planted at the name. Every case is an error or a counted loss, never a crash or a hang.
import { spawnSync } from 'node:child_process';
import { truncateSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addon } from '../src/addon';
import { ShmError, ShmReader, ShmWriter, shmLayout } from '../src/index';
import { poke, segmentsOfThisTest } from './helpers';

const name = segmentsOfThisTest();
const small = { totalBytes: 1 << 18, slots: 8 };
const frame = (seq: number) => {
  const au = new Uint8Array(64).fill(seq);
  au.set([0, 0, 0, 1, 0x41]);
  return au;
};

const H = () => shmLayout().header as Record<string, number>;

/** Runs `code` (an ES module importing this package's dist) in a child; null status = killed. */
function child(code: string): { status: number | null; stdout: string } {
  const dist = join(import.meta.dirname, '..', 'dist', 'index.js');
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code.replace('DIST', dist)], {
    timeout: 15_000,
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout };
}

describe('hostile segments', () => {
  it('refuses at open a header whose data_offset + slots × slot_bytes wraps past 2^64', () => {
    const n = name();
    const w = ShmWriter.create(n, small);
    poke(n, H().slot_count as number, 0x10000, 4);
    poke(n, H().slot_bytes as number, 0x10000, 4);
    poke(n, H().data_offset as number, 2n ** 64n - 2n ** 32n, 8);
    expect(() => ShmReader.open(n)).toThrow(
      expect.objectContaining({
        code: 'TRUNCATED',
        message: expect.stringMatching(/inconsistent/),
      }),
    );
    w.close();
  });

  it('keeps reading by the geometry it copied at open when the header changes under it', async () => {
    const n = name();
    const w = ShmWriter.create(n, small);
    const r = ShmReader.open(n, { start: 'oldest' });
    for (let i = 1; i <= 3; i++) w.publish(frame(i), 1, false);
    poke(n, H().slot_count as number, 0, 4);
    poke(n, H().slot_bytes as number, 0xffffffff, 4);
    poke(n, H().data_offset as number, 2n ** 64n - 100n, 8);
    poke(n, H().total_bytes as number, 2n ** 64n - 1n, 8);
    // Frame 2's slot claims a length past the slot size: refused and counted as lost.
    const slot2 = shmLayout().headerBytes + 2 * shmLayout().slotEntryBytes;
    poke(n, slot2 + (shmLayout().slot.length as number), 0xffffffff, 4);
    const first = await r.next();
    expect([first?.seq, first?.data[5]]).toEqual([1, 1]);
    const third = await r.next();
    expect([third?.seq, third?.lost, third?.data[5]]).toEqual([3, 1, 3]);
    expect(r.stats()).toMatchObject({ received: 2, lost: 1 });
    r.close();
    w.close();
  });

  it('reports a segment file that shrank under the reader as TRUNCATED (no SIGBUS)', async () => {
    const n = name();
    const w = ShmWriter.create(n, small);
    const r = ShmReader.open(n);
    w.publish(frame(1), 1, false);
    expect((await r.next())?.seq).toBe(1);
    truncateSync(`/dev/shm${n}`, 0);
    await expect(r.next()).rejects.toThrow(
      expect.objectContaining({ code: 'TRUNCATED', message: expect.stringMatching(/shrank/) }),
    );
    expect(() => r.streamInfo()).toThrow(ShmError);
    // The writer notices too: it refuses to write into the lost pages.
    expect(() => w.publish(frame(2), 1, false)).toThrow(
      expect.objectContaining({ code: 'TRUNCATED' }),
    );
    r.close();
    w.close();
  });

  it('refuses a FIFO planted at the name at once, in the reader and the writer (no blocked open)', () => {
    const n = name();
    expect(spawnSync('mkfifo', ['-m', '666', `/dev/shm${n}`]).status).toBe(0);
    const reader = child(
      `import { ShmReader } from 'DIST';
       try { ShmReader.open(${JSON.stringify(n)}); } catch (e) { console.log(e.code, e.message); }`,
    );
    expect(reader.status).toBe(0);
    expect(reader.stdout).toMatch(/^INVALID_ARGUMENT shm open .*not a regular file/);
    const writer = child(
      `import { ShmWriter } from 'DIST';
       try { ShmWriter.create(${JSON.stringify(n)}); } catch (e) { console.log(e.code, e.message); }`,
    );
    expect(writer.status).toBe(0);
    expect(writer.stdout).toMatch(/^INVALID_ARGUMENT shm create .*not a regular file/);
  });
});

describe('native binding limits', () => {
  it('refuses a tryNext output array too short for the 9 values it writes', () => {
    const n = name();
    const w = ShmWriter.create(n, small);
    const r = new (addon().Reader)(n);
    w.publish(frame(1), 1, false);
    r.seek(1);
    expect(() => r.tryNext(new Float64Array(8))).toThrow(/9/);
    const out = new Float64Array(9);
    expect(r.tryNext(out)).toBe(0);
    expect(out[0]).toBe(1);
    r.close();
    w.close();
  });

  it('refuses a frame of 4 GiB instead of truncating its length to 32 bits', () => {
    const n = name();
    const w = new (addon().Writer)(n, 1 << 18, 8, 0o600, -1);
    const huge = new Uint8Array(new ArrayBuffer(2 ** 32)); // virtual memory only: never touched
    expect(w.publish(huge, 1, false)).toBe(-8); // CAM_SHM_TOO_LARGE
    expect(w.setParameterSets(huge, new Uint8Array(1), 1)).toBe(-8);
    w.close();
  });

  it('counts the reader mapping as external memory in V8 (so resyncs press the GC)', () => {
    const n = name();
    const w = ShmWriter.create(n, { totalBytes: 8 << 20, slots: 8 });
    const before = process.memoryUsage().external;
    const r = ShmReader.open(n);
    // Counted once: V8 accounts the external ArrayBuffer itself; a napi_adjust_external_memory
    // on top would count the ring twice.
    const grown = process.memoryUsage().external - before;
    expect(grown).toBeGreaterThanOrEqual(8 << 20);
    expect(grown).toBeLessThan(16 << 20);
    r.close();
    w.close();
  });

  it('stops a reader with a wait pending at once, however long the wait (no missed wake-up)', async () => {
    const n = name();
    const w = ShmWriter.create(n, small);
    for (let i = 0; i < 200; i++) {
      const r = new (addon().Reader)(n);
      const waiting = r.wait(r.notify(), 600_000);
      r.close();
      await waiting;
    }
    w.close();
  });
});
