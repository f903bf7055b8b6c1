import { statSync } from 'node:fs';
import { findParameterSets } from '@cam/protocol';
import { describe, expect, it } from 'vitest';
import { encodeH264, segmentsOfThisTest } from '../test/helpers';
import { ShmError, ShmReader, ShmWriter, shmLayout, shmNameProblem } from './index';

const name = segmentsOfThisTest();

function expectShmError(fn: () => unknown, code: string, text: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ShmError);
    expect((err as ShmError).code).toBe(code);
    expect((err as ShmError).message).toMatch(text);
    return;
  }
  throw new Error(`expected ShmError ${code}`);
}

describe('ShmWriter', () => {
  it('creates a 0600 segment of the asked size, reports stats, and unlinks it on close', () => {
    const n = name();
    const w = ShmWriter.create(n, { totalBytes: 1 << 20, slots: 8 });
    const st = statSync(`/dev/shm${n}`);
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.size).toBe(1 << 20);
    const seq = w.publish(new Uint8Array(100), 1234, false);
    expect(seq).toBe(1);
    expect(w.stats()).toMatchObject({
      name: n,
      published: 1,
      bytes: 100,
      rejected: 0,
      writeSeq: 1,
      slots: 8,
    });
    expect(w.stats().slotBytes).toBeGreaterThan(100_000);
    w.close();
    w.close();
    expect(() => statSync(`/dev/shm${n}`)).toThrow(/ENOENT/);
    expectShmError(() => w.publish(new Uint8Array(1), 1, false), 'CLOSED', /writer is closed/);
  });

  it('defaults to /video_stream-sized geometry from the header: 16 MiB, 32 slots', () => {
    const n = name();
    const w = ShmWriter.create(n);
    expect(w.stats()).toMatchObject({
      totalBytes: shmLayout().defaultTotalBytes,
      slots: shmLayout().defaultSlots,
    });
    w.close();
  });

  it('gives a configured group read access (mode 0640)', () => {
    const n = name();
    for (const group of ['nogroup', 65534]) {
      const w = ShmWriter.create(n, { totalBytes: 1 << 16, slots: 4, group });
      const st = statSync(`/dev/shm${n}`);
      expect(st.mode & 0o777).toBe(0o640);
      expect(st.gid).toBe(65534);
      w.close();
    }
    expectShmError(
      () => ShmWriter.create(name(), { group: 'no-such-group-here' }),
      'INVALID_ARGUMENT',
      /unknown group/,
    );
  });

  it('rejects a frame larger than a slot, counts it, and writes nothing', () => {
    const n = name();
    const w = ShmWriter.create(n, { totalBytes: 1 << 16, slots: 4 });
    const { slotBytes } = w.stats();
    expectShmError(
      () => w.publish(new Uint8Array(slotBytes + 1), 1, false),
      'FRAME_TOO_LARGE',
      new RegExp(`${n}: frame of ${slotBytes + 1} bytes`),
    );
    expect(w.publish(new Uint8Array(slotBytes), 1, false)).toBe(1);
    expect(w.stats()).toMatchObject({ published: 1, rejected: 1, writeSeq: 1 });
    w.close();
  });

  it("names the option at fault in ShmError.option, and checks names by the header's rule", () => {
    const optionOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        expect((err as ShmError).code).toBe('INVALID_ARGUMENT');
        return (err as ShmError).option;
      }
      throw new Error('expected a ShmError');
    };
    const n = name();
    expect(optionOf(() => ShmWriter.create('/a b'))).toBe('name');
    expect(optionOf(() => ShmWriter.create(n, { group: 'no-such-group-here' }))).toBe('group');
    expect(optionOf(() => ShmWriter.create(n, { slots: 1 }))).toBe('slots');
    expect(optionOf(() => ShmWriter.create(n, { slots: shmLayout().maxSlots + 1 }))).toBe('slots');
    expect(optionOf(() => ShmWriter.create(n, { totalBytes: 1 << 16, slots: 4096 }))).toBe(
      'totalBytes',
    );
    expect(optionOf(() => ShmWriter.create(n, { totalBytes: -5 }))).toBe('totalBytes');
    expect(shmNameProblem('/video_stream')).toBeNull();
    expect(shmNameProblem(`/${'a'.repeat(200)}`)).toMatch(/1-200/);
    expect(shmNameProblem('/.hidden')).toMatch(/invalid name/);
    expect(shmNameProblem('/a\0b')).toMatch(/invalid name/);
    expect(shmLayout()).toMatchObject({ minSlots: 2, maxSlots: 65536 });
  });

  it('refuses bad arguments with errors that name the segment', () => {
    expectShmError(
      () => ShmWriter.create('no-slash'),
      'INVALID_ARGUMENT',
      /shm create no-slash: invalid name/,
    );
    expectShmError(() => ShmWriter.create('/a/b'), 'INVALID_ARGUMENT', /invalid name/);
    const n = name();
    expectShmError(
      () => ShmWriter.create(n, { slots: 1 }),
      'INVALID_ARGUMENT',
      new RegExp(`shm create ${n}: cannot fit 1 slots`),
    );
    expectShmError(
      () => ShmWriter.create(n, { totalBytes: -5 }),
      'INVALID_ARGUMENT',
      /totalBytes must be a positive integer/,
    );
    expectShmError(() => ShmWriter.create(n, { mode: 0o1777 }), 'INVALID_ARGUMENT', /mode must be/);
    const w = ShmWriter.create(n, { totalBytes: 1 << 16, slots: 4 });
    expectShmError(() => w.publish(new Uint8Array(1), -1, false), 'INVALID_ARGUMENT', /timestamp/);
    expectShmError(
      () => w.publish([1, 2] as unknown as Uint8Array, 1, false),
      'INVALID_ARGUMENT',
      /Uint8Array/,
    );
    expectShmError(
      () => w.setStreamInfo({ codec: 'x'.repeat(40), width: 1, height: 1, fps: 30 }),
      'INVALID_ARGUMENT',
      /bad stream info/,
    );
    expectShmError(
      () => w.setStreamInfo({ codec: 'avc1', width: -1, height: 1, fps: 30 }),
      'INVALID_ARGUMENT',
      /bad stream info/,
    );
    w.close();
  });

  it('rejects a keyframe whose SPS does not fit the header, and writes nothing', () => {
    const w = ShmWriter.create(name(), { totalBytes: 1 << 16, slots: 4 });
    const nal = (header: number, size: number) => [
      0,
      0,
      0,
      1,
      header,
      ...new Array(size).fill(0x11),
    ];
    const au = new Uint8Array([...nal(0x67, 1100), ...nal(0x68, 4), ...nal(0x65, 64)]);
    const sets = findParameterSets(au) as { sps: Uint8Array; pps: Uint8Array };
    expectShmError(() => w.publish(au, 1, true, sets), 'PARAMETER_SET_TOO_LARGE', /SPS \(1101 B\)/);
    expect(w.stats()).toMatchObject({ published: 0, rejected: 1, writeSeq: 0 });
    w.close();
  });

  it('refuses to take over a segment a live writer holds (BUSY)', () => {
    const n = name();
    const w = ShmWriter.create(n, { totalBytes: 1 << 16, slots: 4 });
    expectShmError(
      () => ShmWriter.create(n),
      'BUSY',
      new RegExp(`shm create ${n}: in use by a live writer \\(pid ${process.pid}\\)`),
    );
    w.close();
    const again = ShmWriter.create(n, { totalBytes: 1 << 16, slots: 4 });
    again.close();
  });

  it('stores stream info and the SPS/PPS of each keyframe for late readers', () => {
    const aus = encodeH264(20, 10);
    const n = name();
    const w = ShmWriter.create(n, { totalBytes: 4 << 20, slots: 8 });
    w.setStreamInfo({ codec: 'avc1.64000d', width: 320, height: 240, fps: 29.97 });
    for (const [i, au] of aus.entries()) {
      const sets = au.keyframe
        ? (findParameterSets(au.data) as { sps: Uint8Array; pps: Uint8Array })
        : undefined;
      w.publish(au.data, 1_700_000_000_000 + i, au.keyframe, sets);
    }
    const r = ShmReader.open(n);
    const info = r.streamInfo();
    const lastKey = aus.filter((a) => a.keyframe).at(-1) as { data: Uint8Array };
    const { sps, pps } = findParameterSets(lastKey.data);
    expect(info).toMatchObject({ codec: 'avc1.64000d', width: 320, height: 240, fps: 29.97 });
    expect(Buffer.from(info?.sps ?? [])).toEqual(Buffer.from(sps ?? [1]));
    expect(Buffer.from(info?.pps ?? [])).toEqual(Buffer.from(pps ?? [1]));
    // The last keyframe of 20 frames with a GOP of 10 is frame 11; the writer is this process.
    expect(info?.parameterSetsSeq).toBe(aus.lastIndexOf(lastKey as (typeof aus)[number]) + 1);
    expect(info?.parameterSetsSeq).toBe(11);
    expect(r.stats().writerPid).toBe(process.pid);
    r.close();
    w.close();
  });
});
