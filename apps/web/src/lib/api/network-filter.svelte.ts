/**
 * The network the list pages are limited to (undefined = all visible networks), chosen in the app bar and kept in
 * localStorage. Module state is safe here: the app is a client-only SPA, so there is exactly one user per page load.
 */
const KEY = 'scanopy.network';

function initial(): string | undefined {
  // Throws where storage is blocked (a third-party frame): no network chosen then.
  try {
    return localStorage.getItem(KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

let id = $state<string | undefined>(initial());

export const networkFilter = {
  get id(): string | undefined {
    return id;
  },
  set id(next: string | undefined) {
    id = next;
    try {
      if (next) localStorage.setItem(KEY, next);
      else localStorage.removeItem(KEY);
    } catch {
      // No storage (server-side, or blocked): the choice lasts for this page.
    }
  },
};
