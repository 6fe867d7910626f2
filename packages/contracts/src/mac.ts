/**
 * MAC addresses as the inventory stores and compares them: lower case, colon-separated (`aa:bb:cc:dd:ee:ff`).
 * One rule for the server (hosts, ingestion) and the daemon (Docker, vendor lookup).
 */

const GROUPED = /^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/;
const BARE = /^[0-9a-f]{12}$/;
const ALL_ZERO = '00:00:00:00:00:00';

/**
 * `mac` in the stored form, or null when it is empty, not a MAC, or all zeros (stacks report that for interfaces
 * without an address; keeping it would make every such host "the same"). Accepts two-digit groups separated by
 * `:` or `-` and twelve bare hex digits, in any case, with surrounding whitespace.
 */
export function normalizeMac(mac: string | null | undefined): string | null {
  const text = mac?.trim().toLowerCase();
  if (!text) return null;
  let hex: string;
  if (GROUPED.test(text)) hex = text.replace(/[:-]/g, '');
  else if (BARE.test(text)) hex = text;
  else return null;
  const normalized = hex.match(/../g)!.join(':');
  return normalized === ALL_ZERO ? null : normalized;
}

/** Whether `mac` is a usable MAC address in one of the forms normalizeMac accepts (the all-zero MAC is not). */
export function isMacAddress(mac: string | null | undefined): boolean {
  return normalizeMac(mac) !== null;
}
