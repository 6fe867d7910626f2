/** Light, dark, or whatever the system prefers; kept in localStorage and applied as `.dark` on <html>. */
export type ThemeChoice = 'light' | 'dark' | 'system';

const KEY = 'scanopy.theme';

function stored(): ThemeChoice {
  if (typeof localStorage === 'undefined') return 'system';
  const v = localStorage.getItem(KEY);
  return v === 'light' || v === 'dark' ? v : 'system';
}

function systemDark(): boolean {
  return typeof matchMedia !== 'undefined' && matchMedia('(prefers-color-scheme: dark)').matches;
}

function apply(choice: ThemeChoice) {
  if (typeof document === 'undefined') return;
  const dark = choice === 'dark' || (choice === 'system' && systemDark());
  document.documentElement.classList.toggle('dark', dark);
}

let choice = $state<ThemeChoice>(stored());

export const theme = {
  get choice(): ThemeChoice {
    return choice;
  },
  set(next: ThemeChoice) {
    choice = next;
    if (next === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, next);
    apply(next);
  },
  /** Follows the system setting while "system" is chosen; returns the cleanup. */
  watchSystem(): () => void {
    const mq = matchMedia('(prefers-color-scheme: dark)');
    const onChange = () => {
      if (choice === 'system') apply('system');
    };
    mq.addEventListener('change', onChange);
    return () => mq.removeEventListener('change', onChange);
  },
};
