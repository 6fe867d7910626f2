import { SERVER_VERSION } from '../version.ts';

export const meta = () => ({ api_version: 1 as const, server_version: SERVER_VERSION });

export function ok<T>(data: T) {
  return { success: true as const, data, meta: meta() };
}

export function page<T>(data: T[], total: number, limit: number, offset: number) {
  return {
    success: true as const,
    data,
    meta: {
      ...meta(),
      pagination: {
        total_count: total,
        limit,
        offset,
        // limit 0 means "all": there is nothing more after an unlimited page (the reference reports true here).
        has_more: limit === 0 ? false : offset + limit < total,
      },
    },
  };
}
