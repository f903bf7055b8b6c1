import { describe, expect, it } from 'vitest';
import { createLogger, formatLine } from './log';

describe('createLogger', () => {
  it('prints one text line per event at or above its level, fields as key=value', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', json: false, write: (l) => lines.push(l) });
    log.debug('hidden');
    log.info('client connected', { address: '127.0.0.1', clients: 3, note: 'two words' });
    log.error('camera error', { code: 'CAPTURE_FAILED', gone: undefined });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z info {2}client connected address=127\.0\.0\.1 clients=3 note="two words"$/,
    );
    expect(lines[1]).toMatch(/ error camera error code=CAPTURE_FAILED$/);
  });

  it('prints JSON objects with the same keys', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'warn', json: true, write: (l) => lines.push(l) });
    log.info('hidden');
    log.warn('client too slow', { address: '::1', bufferedBytes: 5 });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      level: 'warn',
      event: 'client too slow',
      address: '::1',
      bufferedBytes: 5,
    });
  });

  it('quotes empty values and values with spaces or quotes', () => {
    expect(formatLine('info', 'e', { a: '', b: 'x"y' }, false)).toMatch(/ e a="" b="x\\"y"$/);
  });
});
