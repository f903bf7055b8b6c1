import { expect, it } from 'vitest';
import { ProtocolError } from './errors';
import { decodeMessage } from './framing';

it('is an Error with a name, a code and a message that says what was wrong', () => {
  const error = new ProtocolError('BAD_SPS', 'SPS is empty');
  expect(error).toBeInstanceOf(Error);
  expect([error.name, error.code, error.message]).toEqual([
    'ProtocolError',
    'BAD_SPS',
    'SPS is empty',
  ]);
  expect(String(error)).toBe('ProtocolError: SPS is empty');
});

it('is what the parsers throw, with the context in the message', () => {
  expect(() => decodeMessage(new Uint8Array(3))).toThrow(
    new ProtocolError(
      'SHORT_MESSAGE',
      'message of 3 bytes has no access unit before its 8-byte timestamp trailer',
    ),
  );
});
