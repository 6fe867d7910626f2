import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { Static, TSchema } from 'typebox';

export type Checked<S extends TSchema> = { ok: true; value: Static<S> } | { ok: false; reason: string };

/**
 * Checks what a server_poll daemon reports as the daemon routes check what a daemon_poll daemon posts: the routes'
 * own body schemas, compiled with the options of the app's body validator (app.ts: no coercion, defaults filled in),
 * and the same body size limit. Both modes then hand the same values to the same service methods.
 */
export class ReportChecker {
  private readonly ajv = new Ajv({ allErrors: false, strict: false, coerceTypes: false, useDefaults: true });
  private readonly compiled = new Map<TSchema, ValidateFunction>();

  constructor(private readonly bodyLimitBytes: number) {
    addFormats.default(this.ajv);
  }

  check<S extends TSchema>(schema: S, body: unknown): Checked<S> {
    const size = Buffer.byteLength(JSON.stringify(body) ?? '');
    if (size > this.bodyLimitBytes) {
      return { ok: false, reason: `larger than ${this.bodyLimitBytes} bytes` };
    }
    let validate = this.compiled.get(schema);
    if (!validate) {
      validate = this.ajv.compile(schema);
      this.compiled.set(schema, validate);
    }
    if (!validate(body)) return { ok: false, reason: this.ajv.errorsText(validate.errors) };
    return { ok: true, value: body as Static<S> };
  }
}
