import { describe, expect, it } from 'vitest';
import { ApiError, toQueryString, unwrapEnvelope } from './envelope.ts';

const meta = { api_version: 1, server_version: '0.1.0' };

function thrown(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an ApiError');
}

describe('unwrapEnvelope', () => {
  it('returns data and meta of a success envelope', () => {
    const pagination = { total_count: 1, limit: 50, offset: 0, has_more: false };
    const out = unwrapEnvelope<string[]>(200, { success: true, data: ['a'], meta: { ...meta, pagination } });
    expect(out.data).toEqual(['a']);
    expect(out.meta.pagination).toEqual(pagination);
  });

  it('keeps a null payload', () => {
    expect(unwrapEnvelope<null>(200, { success: true, data: null, meta }).data).toBeNull();
  });

  it('throws the server message, code and status of an error envelope', () => {
    const err = thrown(() =>
      unwrapEnvelope(401, {
        success: false,
        error: 'Invalid email or password',
        code: 'auth_invalid_credentials',
        meta,
      }),
    );
    expect(err.message).toBe('Invalid email or password');
    expect(err.code).toBe('auth_invalid_credentials');
    expect(err.status).toBe(401);
  });

  it('turns a body that is not an envelope into an ApiError with the status', () => {
    const err = thrown(() => unwrapEnvelope(502, undefined));
    expect(err.status).toBe(502);
    expect(err.message).toContain('HTTP 502');
    expect(err.code).toBeUndefined();
  });

  it('does not treat a success flag on an error status as success', () => {
    expect(() => unwrapEnvelope(500, { success: true, data: 1, meta })).toThrow(ApiError);
  });
});

describe('toQueryString', () => {
  it('repeats keys for arrays and drops undefined values', () => {
    expect(toQueryString({ ids: ['a', 'b'], limit: 20, network_id: undefined })).toBe(
      '?ids=a&ids=b&limit=20',
    );
  });
  it('is empty without parameters', () => {
    expect(toQueryString({})).toBe('');
    expect(toQueryString(undefined)).toBe('');
  });
});
