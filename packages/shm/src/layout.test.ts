import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shmLayout } from './index';

// docs/SHARED_MEMORY_IPC.md is the contract for readers in other languages: its tables must
// say what the compiled header says.
const doc = readFileSync(join(import.meta.dirname, '../../../docs/SHARED_MEMORY_IPC.md'), 'utf8');

function table(heading: string): Map<string, number> {
  const section = doc.slice(doc.indexOf(heading));
  const rows = new Map<string, number>();
  for (const line of section.split('\n').slice(1)) {
    if (line.startsWith('#')) break;
    const cells = line.split('|').map((c) => c.trim());
    if (/^\d+$/.test(cells[1] ?? '') && cells[4] && cells[4] !== '')
      rows.set(cells[4], Number(cells[1]));
  }
  return rows;
}

describe('layout', () => {
  it('exposes the constants cam_shm.h was compiled with', () => {
    const l = shmLayout();
    expect(l.magic).toBe(0x534d4143);
    expect(Buffer.from(new Uint32Array([l.magic]).buffer).toString('latin1')).toBe('CAMS');
    expect(l.headerBytes % 64).toBe(0);
    expect(l.slotEntryBytes).toBe(64);
  });

  it('matches the header and slot tables of docs/SHARED_MEMORY_IPC.md field by field', () => {
    const l = shmLayout();
    const header = table('### Header');
    const slot = table('### Slot');
    expect(Object.fromEntries([...header].filter(([k]) => k !== 'reserved'))).toEqual(l.header);
    expect(Object.fromEntries([...slot].filter(([k]) => k !== 'reserved'))).toEqual(l.slot);
    expect(doc).toContain(`layout version **${l.version}**`);
    expect(doc).toContain(`\`0x${l.magic.toString(16).toUpperCase()}\``);
  });
});
