import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { fetchSession, messageOf, type Audience, type Session } from '../api.js';

interface SessionContextValue {
  audience: Audience;
  /** null until the first GET …/session answers. */
  session: Session | null;
  error: string | null;
  /** Asks the server again; call it after every sign-in, sign-out or other auth change. */
  refresh(): Promise<Session | null>;
}

const SessionContext = createContext<SessionContextValue | null>(null);

/** Holds one audience's sign-in state (and, through the API client, its CSRF token). */
export function SessionProvider({ audience, children }: { audience: Audience; children: ReactNode }): ReactNode {
  const [session, setSession] = useState<Session | null>(null);
  const [error, setError] = useState<string | null>(null);

  const refresh = useCallback(async () => {
    try {
      const s = await fetchSession(audience);
      setSession(s);
      setError(null);
      return s;
    } catch (err) {
      setError(messageOf(err));
      return null;
    }
  }, [audience]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const value = useMemo(() => ({ audience, session, error, refresh }), [audience, session, error, refresh]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionContextValue {
  const ctx = useContext(SessionContext);
  if (!ctx) throw new Error('useSession needs a SessionProvider');
  return ctx;
}
