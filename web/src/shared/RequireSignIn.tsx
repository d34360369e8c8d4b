import type { ReactNode } from 'react';
import { Navigate, Outlet, useLocation } from 'react-router';
import { useSession } from './session.js';
import { pathForState } from './paths.js';
import { Loading } from './Loading.js';

/** Renders the nested routes only for a fully signed-in person; others go where their state leads. */
export function RequireSignIn(): ReactNode {
  const { audience, session, error } = useSession();
  const location = useLocation();
  if (!session) return error ? <p role="alert" className="error">{error}</p> : <Loading />;
  if (session.state === 'authenticated') return <Outlet />;
  const next = session.state === 'anonymous' ? `?next=${encodeURIComponent(location.pathname + location.search)}` : '';
  return <Navigate to={pathForState(audience, session.state) + next} replace />;
}
