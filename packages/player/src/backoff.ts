// When to try the streamer again. A streamer that restarts (an update, a crash, a reboot) is
// back within seconds, and the viewer should play within a second of it: the first minute of
// an outage is retried often (each try is one small HTTP request, see player.ts); after that,
// less often. A refusal only a person can fix (token, origin) is retried slowly.

/** Retries double from this. */
const FIRST_MS = 250;
/** The longest wait during the first minute of an outage. */
const EARLY_MAX_MS = 750;
const EARLY_OUTAGE_MS = 60_000;
/** The longest wait after that, and for a refusal. */
export const LATE_MAX_MS = 5000;

/** Wait before retry `attempt` (0 = the first retry) of an outage that began `outageMs` ago. */
export function backoffDelay(attempt: number, outageMs: number): number {
  const cap = outageMs < EARLY_OUTAGE_MS ? EARLY_MAX_MS : LATE_MAX_MS;
  return Math.min(cap, FIRST_MS * 2 ** Math.max(0, attempt));
}
