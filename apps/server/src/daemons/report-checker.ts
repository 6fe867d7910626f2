import type { Static, TSchema } from 'typebox';
import { BodyValidator } from '../http/body-validator.ts';

export type Checked<S extends TSchema> = { ok: true; value: Static<S> } | { ok: false; reason: string };

/**
 * Checks what a server_poll daemon reports as the daemon routes check what a daemon_poll daemon posts: the routes'
 * own body schemas through the app's body validator (http/body-validator.ts) and the same body size limit. Both
 * modes then hand the same values to the same service methods.
 */
export class ReportChecker {
  private readonly bodies = new BodyValidator();

  constructor(private readonly bodyLimitBytes: number) {}

  check<S extends TSchema>(schema: S, body: unknown): Checked<S> {
    const size = Buffer.byteLength(JSON.stringify(body) ?? '');
    if (size > this.bodyLimitBytes) {
      return { ok: false, reason: `larger than ${this.bodyLimitBytes} bytes` };
    }
    const r = this.bodies.check(schema, body);
    if ('errors' in r) return { ok: false, reason: this.bodies.errorsText(r.errors) };
    return { ok: true, value: r.value as Static<S> };
  }
}
