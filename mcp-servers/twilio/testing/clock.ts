import type { Clock } from "../policy.js";

/** A clock a test sets and moves: quiet hours and the hourly limit without waiting. */
export interface ManualClock {
  clock: Clock;
  set(instant: string | Date): void;
  advance(ms: number): void;
}

export function manualClock(start: string | Date): ManualClock {
  let now = new Date(start);
  return {
    clock: () => new Date(now),
    set: (instant) => void (now = new Date(instant)),
    advance: (ms) => void (now = new Date(now.getTime() + ms)),
  };
}
