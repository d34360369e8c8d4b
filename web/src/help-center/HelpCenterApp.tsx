import type { ReactNode } from 'react';
import { Navigate, Route, Routes } from 'react-router';
import { SessionProvider } from '../shared/session.js';
import { RequireSignIn } from '../shared/RequireSignIn.js';
import { ForgotPasswordPage } from '../shared/auth/ForgotPasswordPage.js';
import { ResetPasswordPage } from '../shared/auth/ResetPasswordPage.js';
import { ConfirmEmailChangePage } from '../shared/auth/ConfirmEmailChangePage.js';
import { AcceptInvitationPage } from '../shared/auth/AcceptInvitationPage.js';
import { SecondStepPage } from '../shared/auth/SecondStepPage.js';
import { EnrollmentPage } from '../shared/auth/EnrollmentPage.js';
import { SignInHelpPage } from '../shared/auth/SignInHelpPage.js';
import { SetupLinkPage } from '../shared/auth/SetupLinkPage.js';
import { SecurityPage } from '../shared/mfa/SecurityPage.js';
import { NotFoundPage } from '../shared/NotFoundPage.js';
import { HelpCenterLayout } from './HelpCenterLayout.js';
import { HelpCenterSignInPage } from './HelpCenterSignInPage.js';
import { SignUpPage } from './SignUpPage.js';
import { VerifyEmailPage } from './VerifyEmailPage.js';
import { TicketsPage } from './TicketsPage.js';
import { TicketPage } from './TicketPage.js';
import { AccountPage } from './AccountPage.js';
import { CancelPendingActionPage, CancelRecoveryRequestPage } from './EmailedCancelPage.js';

/** The customer-facing help center at /. */
export function HelpCenterApp(): ReactNode {
  return (
    <SessionProvider audience="contact">
      <Routes>
        <Route element={<HelpCenterLayout />}>
          <Route index element={<Navigate to="/tickets" replace />} />
          <Route path="sign-in" element={<HelpCenterSignInPage />} />
          <Route path="sign-in/verify" element={<SecondStepPage />} />
          <Route path="sign-in/help" element={<SignInHelpPage />} />
          <Route path="mfa/setup" element={<EnrollmentPage />} />
          <Route path="setup-mfa" element={<SetupLinkPage />} />
          <Route path="sign-up" element={<SignUpPage />} />
          <Route path="verify-email" element={<VerifyEmailPage />} />
          <Route path="forgot-password" element={<ForgotPasswordPage />} />
          <Route path="reset-password" element={<ResetPasswordPage />} />
          <Route path="invitation" element={<AcceptInvitationPage />} />
          <Route path="confirm-email" element={<ConfirmEmailChangePage />} />
          <Route path="pending-actions/cancel" element={<CancelPendingActionPage />} />
          <Route path="recovery-requests/cancel" element={<CancelRecoveryRequestPage />} />
          <Route element={<RequireSignIn />}>
            <Route path="tickets" element={<TicketsPage />} />
            <Route path="tickets/:id" element={<TicketPage />} />
            <Route path="account" element={<AccountPage />} />
            <Route path="account/security" element={<SecurityPage />} />
          </Route>
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Routes>
    </SessionProvider>
  );
}
