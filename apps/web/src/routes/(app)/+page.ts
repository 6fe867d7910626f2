import { redirect } from '@sveltejs/kit';

// The query string goes along: an invite link lands on /?invite=<id>, which the sign-in gate reads.
export function load({ url }: { url: URL }): never {
  redirect(307, `/hosts${url.search}`);
}
