import type { ReactNode } from 'react';
import { Link, NavLink, Outlet } from 'react-router';
import { useSession } from '../shared/session.js';
import { SignOutButton } from '../shared/SignOutButton.js';
import { useHelpCenterSettings } from './useHelpCenterSettings.js';

/** The help center's header and page frame. */
export function HelpCenterLayout(): ReactNode {
  const { session } = useSession();
  const { settings } = useHelpCenterSettings();
  const signedIn = session?.state === 'authenticated';
  return (
    <div className="app help-center">
      <header className="topbar">
        <Link to="/" className="brand">
          Help Center
        </Link>
        <nav aria-label="Main">
          {signedIn ? (
            <>
              <NavLink to="/tickets">My tickets</NavLink>
              <NavLink to="/account">Account</NavLink>
            </>
          ) : session?.state === 'anonymous' ? (
            <>
              <NavLink to="/sign-in">Sign in</NavLink>
              {settings?.allowSignup && <NavLink to="/sign-up">Sign up</NavLink>}
            </>
          ) : null}
        </nav>
        {signedIn && (
          <div className="topbar-session">
            <SignOutButton />
          </div>
        )}
      </header>
      <main>
        <Outlet />
      </main>
    </div>
  );
}
