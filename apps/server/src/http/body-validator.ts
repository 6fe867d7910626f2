import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';

/** A refusal in Ajv's shape, so the error handler renders every body refusal the same way. */
type BodyError = Pick<ErrorObject, 'instancePath' | 'keyword' | 'message' | 'params' | 'schemaPath'>;

/** The path of the first string holding a NUL character (PostgreSQL text cannot store one), or undefined. */
export function findNul(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const found = findNul(v, `${path}/${i}`);
      if (found !== undefined) return found;
    }
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const keyPath = `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (k.includes('\u0000')) return keyPath;
      const found = findNul(v, keyPath);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * How every JSON body is checked, for HTTP routes (app.ts) and for reports server_poll fetches from daemons
 * (ReportChecker), so both accept exactly the same bodies:
 * - the fields a schema names are validated strictly (no coercion: "1" is not a number);
 * - fields it does not name are accepted and dropped (TypeBox `Value.Clean`), as the reference (serde) does;
 * - a string with a NUL character anywhere is refused with the field's path (PostgreSQL text cannot hold it).
 */
export class BodyValidator {
  private readonly ajv = new Ajv({ allErrors: false, strict: false, coerceTypes: false, useDefaults: true });
  private readonly compiled = new WeakMap<object, ValidateFunction>();

  constructor() {
    addFormats.default(this.ajv);
  }

  private validatorOf(schema: TSchema): ValidateFunction {
    let v = this.compiled.get(schema);
    if (!v) {
      v = this.ajv.compile(schema);
      this.compiled.set(schema, v);
    }
    return v;
  }

  /** The cleaned body, or the first error in Ajv's shape. */
  check(schema: TSchema, body: unknown): { value: unknown } | { errors: BodyError[] } {
    const nul = findNul(body);
    if (nul !== undefined) {
      return {
        errors: [
          {
            instancePath: nul,
            keyword: 'nul',
            schemaPath: '',
            params: {},
            message: 'contains a NUL character (\\u0000), which cannot be stored',
          },
        ],
      };
    }
    const validate = this.validatorOf(schema);
    if (!validate(body)) return { errors: validate.errors ?? [] };
    return { value: Value.Clean(schema, body) };
  }

  /** A Fastify validator function for one route's body schema. */
  compile(schema: TSchema) {
    const fn = (data: unknown) => {
      const r = this.check(schema, data);
      if ('errors' in r) {
        fn.errors = r.errors;
        return false;
      }
      return { value: r.value };
    };
    fn.errors = null as BodyError[] | null;
    return fn;
  }

  errorsText(errors: BodyError[]): string {
    return this.ajv.errorsText(errors as ErrorObject[]);
  }
}
