import type { Clock } from './ports';

/** Wall-clock time and real sleeps, for Lambda handlers and the local drill. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
