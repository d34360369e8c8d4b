import { useEffect } from 'react';

/** Sets the browser tab's title for a page. */
export function useTitle(title: string, suffix = 'Help Center'): void {
  useEffect(() => {
    document.title = `${title} · ${suffix}`;
  }, [title, suffix]);
}
