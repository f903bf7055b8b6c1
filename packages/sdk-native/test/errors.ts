// The CameraError a call throws or a promise rejects with; fails the test when there is none.
import { expect } from 'vitest';
import { CameraError } from '../src/errors.js';

export function thrown(fn: () => unknown): CameraError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CameraError);
    return error as CameraError;
  }
  throw new Error('expected a CameraError');
}

export async function rejection(promise: Promise<unknown>): Promise<CameraError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CameraError);
  return error as CameraError;
}
