import { expect, it } from 'vitest';
import { isKeyframeRequest, KEYFRAME_REQUEST } from './control';

const text = (s: string) => new TextEncoder().encode(s);

it('knows the keyframe request only as that exact text message', () => {
  expect(isKeyframeRequest(text(KEYFRAME_REQUEST), false)).toBe(true);
  expect(isKeyframeRequest(text(KEYFRAME_REQUEST), true)).toBe(false); // binary
  expect(isKeyframeRequest(text('keyframes'), false)).toBe(false);
  expect(isKeyframeRequest(text('Keyframe'), false)).toBe(false);
  expect(isKeyframeRequest(text(''), false)).toBe(false);
});
