/**
 * The network the list pages are limited to (undefined = all visible networks), chosen in the app bar and kept in
 * localStorage. Module state is safe here: the app is a client-only SPA, so there is exactly one user per page load.
 */
const KEY = 'scanopy.network';

function initial(): string | undefined {
  if (typeof localStorage === 'undefined') return undefined;
  return localStorage.getItem(KEY) ?? undefined;
}

let id = $state<string | undefined>(initial());

export const networkFilter = {
  get id(): string | undefined {
    return id;
  },
  set id(next: string | undefined) {
    id = next;
    if (typeof localStorage === 'undefined') return;
    if (next) localStorage.setItem(KEY, next);
    else localStorage.removeItem(KEY);
  },
};
