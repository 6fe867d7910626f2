/**
 * Whether the first-run guide is still to be read. The first account's sign-up marks it pending in this browser;
 * reading or dismissing the guide clears it. (The server keeps no milestone for it, so a second browser never nags.)
 */
const KEY = 'scanopy.onboarding';

function read(): boolean {
  return typeof localStorage !== 'undefined' && localStorage.getItem(KEY) === 'pending';
}

let pending = $state(read());

export const onboarding = {
  get pending(): boolean {
    return pending;
  },
  start() {
    pending = true;
    localStorage.setItem(KEY, 'pending');
  },
  finish() {
    pending = false;
    localStorage.removeItem(KEY);
  },
};
