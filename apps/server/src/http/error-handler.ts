import type { FastifyError, FastifyInstance } from 'fastify';
import { isPgError } from '../db/client.ts';
import { meta } from './envelope.ts';
import { AppError, errorRegistry, type ErrorCode } from './errors.ts';
import { unsupportedAt } from './not-supported.ts';

interface Rendered {
  status: number;
  code: ErrorCode;
  message: string;
  params?: Record<string, string | number>;
}

/** Maps Postgres failures caused by client input to 4xx, so bad input never surfaces as a 500. */
function fromPg(err: { code: string; constraint?: string; detail?: string }): Rendered | undefined {
  switch (err.code) {
    case '23505':
      return {
        status: 409,
        code: 'entity_already_exists',
        message: 'An entity with these values already exists',
      };
    case '23503':
      return { status: 400, code: 'entity_reference_invalid', message: 'Referenced entity does not exist' };
    case '23514':
    case '23502':
      return { status: 400, code: 'validation_failed', message: 'Invalid data' };
    case '22P02':
    case '22007':
    case '22008':
    case '22003':
    case '22001':
    case '2201X':
      return {
        status: 400,
        code: 'validation_failed',
        message: 'Invalid value: a field has the wrong format',
      };
    // A NUL or an invalid byte in text that reached the database some other way than a body (bodies are checked
    // first), and values too large for an index entry.
    case '22021':
      return {
        status: 400,
        code: 'validation_failed',
        message: 'Invalid value: text contains a NUL character',
      };
    case '54000':
      return {
        status: 400,
        code: 'validation_failed',
        message: 'Invalid value: a field is too long to store',
      };
    default:
      return undefined;
  }
}

function render(err: FastifyError | AppError | Error, requestId: string): Rendered {
  if (err instanceof AppError)
    return { status: err.status, code: err.code, message: err.message, params: err.params };
  const fe = err as FastifyError;
  if (fe.validation) {
    const first = fe.validation[0];
    const where = fe.validationContext ?? 'body';
    const at = (first?.instancePath || '').replace(/^\//, '').replace(/\//g, '.');
    const missing = (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
    // Every message names the field and the reason; a missing field is named itself, not its parent object.
    const field = first?.keyword === 'required' && missing ? (at ? `${at}.${missing}` : missing) : at;
    let detail = first?.message ?? 'is invalid';
    if (first?.keyword === 'required') {
      detail = 'is required';
    } else if (first?.keyword === 'additionalProperties') {
      detail = `has unknown field "${String((first.params as { additionalProperty?: string }).additionalProperty)}"`;
    } else if (first?.keyword === 'enum' || first?.keyword === 'const' || first?.keyword === 'anyOf') {
      detail = 'has a value that is not allowed';
    }
    return {
      status: 400,
      code: 'validation_failed',
      message: `Invalid ${where}: ${field ? `${field} ` : ''}${detail}`,
      params: { location: where, field },
    };
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, code: 'payload_too_large', message: 'Request body is too large' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        status: 415,
        code: 'unsupported_media_type',
        message: 'Unsupported Content-Type; send application/json',
      };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return {
        status: 400,
        code: 'validation_failed',
        message: 'Body is empty but Content-Type is application/json',
      };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, code: 'validation_failed', message: 'Malformed JSON body' };
    default:
      break;
  }
  if (err instanceof SyntaxError || fe.statusCode === 400) {
    return { status: 400, code: 'validation_failed', message: `Malformed request: ${err.message}` };
  }
  if (isPgError(err)) {
    const r = fromPg(err);
    if (r) return r;
  }
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: fe.statusCode, code: 'validation_failed', message: err.message };
  }
  return {
    status: 500,
    code: 'internal_error',
    message: errorRegistry.internal_error.message.replace('{request_id}', requestId),
  };
}

/** The one place errors become responses. Unknown errors are logged with the request id; their text never leaks. */
export function installErrorHandler(app: FastifyInstance, opts: { spa?: boolean } = {}): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const r = render(err, String(req.id));
    if (r.status >= 500) req.log.error({ err }, 'unhandled error');
    else req.log.debug({ code: r.code, msg: r.message }, 'request rejected');
    if (r.status === 429 && r.params?.seconds) void reply.header('Retry-After', String(r.params.seconds));
    return reply.status(r.status).send({
      success: false,
      error: r.message,
      code: r.code,
      ...(r.params && Object.keys(r.params).length ? { params: r.params } : {}),
      meta: meta(),
    });
  });
  app.setNotFoundHandler((req, reply) => {
    // The single-page app owns every non-API GET path; unknown /api paths stay 404 in the envelope.
    const pathOnly = req.url.split('?')[0];
    // /api-keys is a page of the app, not an API path.
    const api = pathOnly === '/api' || pathOnly.startsWith('/api/');
    if (opts.spa && req.method === 'GET' && !api && !/\.[a-z0-9]+$/i.test(pathOnly)) {
      return reply.type('text/html').sendFile('index.html');
    }
    const unsupported = api ? unsupportedAt(pathOnly) : undefined;
    if (unsupported) {
      const e = new AppError('not_supported', unsupported);
      return reply.status(e.status).send({
        success: false,
        error: e.message,
        code: e.code,
        params: e.params,
        meta: meta(),
      });
    }
    return reply.status(404).send({
      success: false,
      error: `Route ${req.method} ${req.url.split('?')[0]} not found`,
      code: 'route_not_found',
      meta: meta(),
    });
  });
}
