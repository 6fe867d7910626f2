/**
 * The network the list pages are limited to (undefined = all visible networks). Module state is safe here: the app
 * is a client-only SPA, so there is exactly one user per page load.
 */
export const networkFilter = $state<{ id: string | undefined }>({ id: undefined });
