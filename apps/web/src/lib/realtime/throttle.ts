export interface Throttled {
  /** Runs the function now if the window is free, else once at the end of the window. */
  (): void;
  /** Drops a pending trailing call (on unmount). */
  cancel(): void;
}

/**
 * At most one call per `ms`: the first call runs at once, calls inside the window collapse into one trailing call.
 * Used for SSE-driven query invalidations, which must not refetch more than once a second per key.
 */
export function throttle(fn: () => void, ms: number): Throttled {
  let last = -Infinity;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = () => {
    timer = undefined;
    last = Date.now();
    fn();
  };
  const throttled = () => {
    if (timer !== undefined) return;
    const wait = last + ms - Date.now();
    if (wait <= 0) run();
    else timer = setTimeout(run, wait);
  };
  throttled.cancel = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  return throttled;
}
