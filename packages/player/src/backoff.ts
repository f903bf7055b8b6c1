/** Reconnect delay: doubles from `minMs` per failed attempt, capped at `maxMs`. */
export function backoffDelay(attempt: number, minMs = 250, maxMs = 10_000): number {
  return Math.min(maxMs, minMs * 2 ** Math.max(0, attempt));
}
