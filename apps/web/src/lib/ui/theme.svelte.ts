/** Light, dark, or whatever the system prefers; kept in localStorage and applied as `.dark` on <html>. */
export type ThemeChoice = 'light' | 'dark' | 'system';

const KEY = 'scanopy.theme';

function stored(): ThemeChoice {
  // Reading localStorage throws where storage is blocked (a share embedded in another site's frame while the browser
  // blocks third-party storage): the system theme then applies.
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
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
    try {
      if (next === 'system') localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, next);
    } catch {
      // Storage blocked: the choice lasts for this page.
    }
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
