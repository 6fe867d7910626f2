import { goto, replaceState } from '$app/navigation';
import { page } from '$app/state';

/** Keeps the selected topology in the address (`?id=`), so a reload or a shared link opens the same one. */
export function selectInUrl(id: string | null) {
  const url = new URL(page.url);
  if ((url.searchParams.get('id') ?? null) === id) return;
  if (id) url.searchParams.set('id', id);
  else url.searchParams.delete('id');
  // Shallow: no navigation, so no scroll bookkeeping that would force a layout of a large diagram.
  replaceState(url, page.state);
}

export const selectedInUrl = () => page.url.searchParams.get('id');

/** Click-through from a card: the host's own page. */
export function openHostPage(hostId: string) {
  return goto(`/hosts/${encodeURIComponent(hostId)}`);
}
