import { useCallback, useEffect, useRef, useState } from 'react';
import type { Page } from '../api.js';
import { useAction } from '../shared/useAction.js';

export interface PagedList<T> {
  /** Every item shown so far, newest first; null until the first page arrives. */
  items: T[] | null;
  /** Why the first page (or a reload) failed. */
  error: unknown;
  loading: boolean;
  /** The API has more after `items` (its `nextCursor`). */
  hasMore: boolean;
  /** Why "Show more" failed, and whether it is running. */
  moreError: unknown;
  loadingMore: boolean;
  /** The next page, after the last item shown. */
  showMore(): Promise<void>;
  /** From the first page again, as many items as were shown (a change keeps the person's place). */
  reload(): Promise<void>;
  /** Changes the items shown in place (an update the API answered with). */
  update(change: (items: T[]) => T[]): void;
}

/**
 * A keyset-paged list of the API (`{items, nextCursor}`): the first page on mount, then the next
 * page each time the person asks. An answer that arrives after a newer reload is dropped, so a
 * page is never appended to a list it does not continue.
 */
export function usePagedList<T extends { id: string }>(fetchPage: (cursor: string | null) => Promise<Page<T>>, deps: unknown[]): PagedList<T> {
  const [list, setList] = useState<{ items: T[] | null; nextCursor: string | null }>({ items: null, nextCursor: null });
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const more = useAction();
  const generation = useRef(0);
  const shown = useRef(0);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const fetchStable = useCallback(fetchPage, deps);

  const reload = useCallback(async () => {
    const gen = ++generation.current;
    setLoading(true);
    setError(null);
    try {
      let page = await fetchStable(null);
      let items = page.items;
      while (page.nextCursor && items.length < shown.current) {
        page = await fetchStable(page.nextCursor);
        items = appendNew(items, page.items);
      }
      if (gen !== generation.current) return;
      shown.current = items.length;
      setList({ items, nextCursor: page.nextCursor });
    } catch (err) {
      if (gen === generation.current) setError(err);
    } finally {
      if (gen === generation.current) setLoading(false);
    }
  }, [fetchStable]);

  useEffect(() => {
    shown.current = 0;
    void reload();
  }, [reload]);

  const { run } = more;
  const cursor = list.nextCursor;
  const showMore = useCallback(async () => {
    if (!cursor) return;
    const gen = generation.current;
    await run(async () => {
      const page = await fetchStable(cursor);
      if (gen !== generation.current) return;
      setList((l) => {
        const items = appendNew(l.items ?? [], page.items);
        shown.current = items.length;
        return { items, nextCursor: page.nextCursor };
      });
    });
  }, [cursor, fetchStable, run]);

  const update = useCallback((change: (items: T[]) => T[]) => setList((l) => (l.items ? { ...l, items: change(l.items) } : l)), []);

  return {
    items: list.items,
    error,
    loading,
    hasMore: list.nextCursor !== null,
    moreError: more.error,
    loadingMore: more.busy,
    showMore,
    reload,
    update,
  };
}

/** `next` after `items`, leaving out any already there (a row can never show twice). */
function appendNew<T extends { id: string }>(items: T[], next: T[]): T[] {
  const seen = new Set(items.map((x) => x.id));
  return [...items, ...next.filter((x) => !seen.has(x.id))];
}
