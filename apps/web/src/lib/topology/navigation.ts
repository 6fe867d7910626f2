import { goto, replaceState } from '$app/navigation';
import { page } from '$app/state';

/** Keeps the selected topology in the address (`?id=`), so a reload or a shared link opens the same one. */
export function selectInUrl(id: string | null) {
  // The address as it is now: page.url is not updated by a shallow replaceState, so after one switch it would still
  // name the topology shown before, and switching back to that one would leave the address on the other.
  const url = new URL(location.href);
  if ((url.searchParams.get('id') ?? null) === id) return;
  if (id) url.searchParams.set('id', id);
  else url.searchParams.delete('id');
  // Shallow: no navigation, so no scroll bookkeeping that would force a layout of a large diagram.
  replaceState(url, page.state);
}

export const selectedInUrl = () => new URL(location.href).searchParams.get('id');

/** Click-through from a card: the host's own page. */
export function openHostPage(hostId: string) {
  return goto(`/hosts/${encodeURIComponent(hostId)}`);
}
