// Light/dark theme: follows the system until the user picks one, then
// remembers the choice.
export type Theme = 'light' | 'dark';

const KEY = 'nlpscope.theme';

function initial(): Theme {
  try {
    const saved = localStorage.getItem(KEY);
    if (saved === 'light' || saved === 'dark') return saved;
  } catch {
    /* storage unavailable */
  }
  return typeof matchMedia !== 'undefined' && matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

class ThemeStore {
  current = $state<Theme>(initial());

  apply(): void {
    if (typeof document !== 'undefined') document.documentElement.dataset['theme'] = this.current;
  }

  set(t: Theme): void {
    this.current = t;
    try {
      localStorage.setItem(KEY, t);
    } catch {
      /* storage unavailable */
    }
    this.apply();
  }

  toggle(): void {
    this.set(this.current === 'dark' ? 'light' : 'dark');
  }
}

export const theme = new ThemeStore();
