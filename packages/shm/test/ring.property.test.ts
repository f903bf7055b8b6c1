// Property: for any ring size and any interleaving of publish bursts and reads, a reader gets
// frames in order, each intact, and accounts for every frame it skipped (frame.lost).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ShmReader, ShmWriter } from '../src/index';
import { segmentsOfThisTest } from './helpers';

const name = segmentsOfThisTest();
const payload = (seq: number) => new Uint8Array(new Float64Array([seq, seq * 3]).buffer);

const op = fc.oneof(
  fc.record({ publish: fc.integer({ min: 0, max: 40 }) }),
  fc.record({ read: fc.integer({ min: 0, max: 40 }) }),
);

describe('ring (property)', () => {
  it('in order, intact, every skipped frame counted', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 16 }),
        fc.array(op, { maxLength: 30 }),
        async (slots, ops) => {
          const n = name();
          const writer = ShmWriter.create(n, { totalBytes: 1 << 16, slots });
          const reader = ShmReader.open(n, { start: 'oldest' });
          let published = 0;
          let last = 0;
          try {
            for (const o of ops) {
              for (let i = 0; 'publish' in o && i < o.publish; i++)
                writer.publish(payload(++published), i, false);
              for (let i = 0; 'read' in o && i < o.read && last < published; i++) {
                const behind = published - last;
                const f = await reader.next();
                if (!f) throw new Error('reader closed');
                expect(f.lost).toBe(f.seq - last - 1);
                // Lapped readers resume at the oldest frame that cannot be mid-overwrite.
                expect(f.seq).toBe(behind >= slots ? published - slots + 2 : last + 1);
                expect(new Float64Array(f.copy().buffer)).toEqual(
                  new Float64Array([f.seq, f.seq * 3]),
                );
                last = f.seq;
              }
            }
            expect(reader.stats().received + reader.stats().lost).toBe(last);
          } finally {
            reader.close();
            writer.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
