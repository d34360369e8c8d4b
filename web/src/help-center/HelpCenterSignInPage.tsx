import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { SignInPage } from '../shared/auth/SignInPage.js';
import { useHelpCenterSettings } from './useHelpCenterSettings.js';

/** Customer sign-in, with a sign-up link only when the help center allows sign-up. */
export function HelpCenterSignInPage(): ReactNode {
  const { settings } = useHelpCenterSettings();
  return (
    <SignInPage
      title="Sign in to the Help Center"
      footer={
        settings?.allowSignup ? (
          <p className="links">
            New here? <Link to="/sign-up">Create an account</Link>
          </p>
        ) : null
      }
    />
  );
}
