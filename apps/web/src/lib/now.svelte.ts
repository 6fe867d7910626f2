/**
 * A clock for relative times that ticks while the calling component is mounted. Call it during component
 * initialisation; the interval is cleared with the component.
 */
export function useNow(intervalMs = 5000): { readonly value: number } {
  let value = $state(Date.now());
  $effect(() => {
    const timer = setInterval(() => (value = Date.now()), intervalMs);
    return () => clearInterval(timer);
  });
  return {
    get value() {
      return value;
    },
  };
}
