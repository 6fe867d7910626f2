import { resolve } from '$app/paths';
import type { Pathname, ResolvedPathname } from '$app/types';

/**
 * An app path with the base path applied, for paths built at run time (a row's page, a list URL with its query
 * string, sidebar entries of routes another part of the app adds). Literal routes use resolve() directly.
 */
export function appHref(path: string): ResolvedPathname {
  return resolve(path as Pathname);
}

/** The current URL with some query parameters changed, as an app path (list state lives in the URL). */
export function withParams(url: URL, change: (params: URLSearchParams) => void): ResolvedPathname {
  const next = new URL(url);
  change(next.searchParams);
  return appHref(`${next.pathname}${next.search}`);
}
