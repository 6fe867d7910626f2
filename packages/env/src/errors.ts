/**
 * A variable whose value (or `_FILE`) is unusable. `message` is `<variable>: <reason>`; callers that name the
 * source their own way (the daemon says `env SCANOPY_X` or `flag --x`) use `reason` alone.
 */
export class EnvValueError extends Error {
  constructor(
    readonly variable: string,
    readonly reason: string,
  ) {
    super(`${variable}: ${reason}`);
    this.name = 'EnvValueError';
  }
}
