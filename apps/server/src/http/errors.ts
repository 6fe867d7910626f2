import { ERROR_DEFINITIONS, type RaisedErrorCode } from '@scanopy/contracts';

/**
 * The one error registry: every failure a handler can raise, with its HTTP status and message template. It is
 * ERROR_DEFINITIONS of @scanopy/contracts, so clients share the codes. Handlers throw AppError; the central handler
 * (error-handler.ts) renders the envelope.
 */
export const errorRegistry = ERROR_DEFINITIONS;

export type ErrorCode = RaisedErrorCode;

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    readonly params: Record<string, string | number> = {},
  ) {
    const def = errorRegistry[code];
    super(def.message.replace(/\{(\w+)\}/g, (_, k: string) => String(params[k] ?? k)));
    this.status = def.status;
  }
}

export const badRequest = (detail: string) => new AppError('validation_failed', { detail });
export const notFound = (entity: string) => new AppError('entity_not_found', { entity });
