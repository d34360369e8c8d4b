import { useEffect, useMemo, useState } from 'react';
import { ApiError, consoleApi } from '../../api.js';

export interface ContactName {
  name: string;
  email: string;
}

/**
 * The names of the customers an audit page mentions. The API has no "these ids" lookup, so each
 * distinct contact is fetched once (GET /contacts/{id}), a few at a time, and remembered for the
 * rest of the visit: a page of 50 entries about one customer costs one request, not 50. A contact
 * that cannot be fetched stays unnamed (the page shows its id).
 */
const known = new Map<string, Promise<ContactName | null>>();
const MAX_IN_FLIGHT = 4;
let inFlight = 0;
const waiting: Array<() => void> = [];

async function limited<T>(fn: () => Promise<T>): Promise<T> {
  if (inFlight >= MAX_IN_FLIGHT) await new Promise<void>((resolve) => waiting.push(resolve));
  inFlight++;
  try {
    return await fn();
  } finally {
    inFlight--;
    waiting.shift()?.();
  }
}

function lookUp(id: string): Promise<ContactName | null> {
  let p = known.get(id);
  if (!p) {
    p = limited(() => consoleApi.getContact(id)).then(
      (c) => ({ name: c.name, email: c.email }),
      (err) => {
        // Not found stays unnamed; anything else (a network blip) may be tried again later.
        if (!(err instanceof ApiError && err.status === 404)) known.delete(id);
        return null;
      },
    );
    known.set(id, p);
  }
  return p;
}

/** Remembers a contact the console already has in hand (a search by email), so it is not fetched again. */
export function rememberContact(id: string, c: ContactName): void {
  known.set(id, Promise.resolve(c));
}

/** Names for `ids` (contact ids), filled in as they arrive; an id not (yet) known is absent. */
export function useContactNames(ids: Array<string | null | undefined>): Map<string, ContactName> {
  const distinct = useMemo(() => [...new Set(ids.filter((id): id is string => !!id && id.startsWith('ct_')))].sort(), [ids]);
  const key = distinct.join(',');
  const [names, setNames] = useState<Map<string, ContactName>>(() => new Map());
  useEffect(() => {
    let live = true;
    for (const id of distinct) {
      void lookUp(id).then((c) => {
        if (!live || !c) return;
        setNames((m) => {
          const old = m.get(id);
          if (old && old.name === c.name && old.email === c.email) return m;
          const next = new Map(m);
          next.set(id, c);
          return next;
        });
      });
    }
    return () => {
      live = false;
    };
    // `key` stands for `distinct`.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  return names;
}
