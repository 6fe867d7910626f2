import { redirect } from '@sveltejs/kit';
import { resolve } from '$app/paths';

// The sidebar's Settings section has no page of its own: a typed or old /settings link opens Account (every role
// has it) instead of a 404.
export function load() {
  redirect(307, resolve('/account'));
}
