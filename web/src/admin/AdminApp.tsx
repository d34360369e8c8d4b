import type { ReactNode } from 'react';
import { Navigate, Route, Routes } from 'react-router';
import { SessionProvider } from '../shared/session.js';
import { RequireSignIn } from '../shared/RequireSignIn.js';
import { SignInPage } from '../shared/auth/SignInPage.js';
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
import { AdminLayout } from './AdminLayout.js';
import { ContactsPage } from './ContactsPage.js';
import { ContactPage } from './ContactPage.js';
import { NewContactPage } from './NewContactPage.js';
import { TicketsPage } from './TicketsPage.js';
import { TicketPage } from './TicketPage.js';
import { StaffPage } from './StaffPage.js';
import { BulkResetPage } from './incident/BulkResetPage.js';
import { PendingActionsPage } from './incident/PendingActionsPage.js';
import { OverviewPage } from './incident/OverviewPage.js';
import { OutboxPage } from './incident/OutboxPage.js';
import { SettingsPage } from './SettingsPage.js';
import { AccountPage } from './AccountPage.js';
import { StaffMemberPage } from './security/StaffMemberPage.js';
import { AuditPage } from './audit/AuditPage.js';
import { TokensPage } from './tokens/TokensPage.js';

/** The staff console under /admin. */
export function AdminApp(): ReactNode {
  return (
    <SessionProvider audience="staff">
      <Routes>
        <Route element={<AdminLayout />}>
          <Route path="setup" element={<AcceptInvitationPage setup />} />
          <Route path="sign-in" element={<SignInPage title="Sign in to the Portico console" />} />
          <Route path="sign-in/verify" element={<SecondStepPage />} />
          <Route path="sign-in/help" element={<SignInHelpPage />} />
          <Route path="mfa/setup" element={<EnrollmentPage />} />
          <Route path="setup-mfa" element={<SetupLinkPage />} />
          <Route path="invitation" element={<AcceptInvitationPage />} />
          <Route path="forgot-password" element={<ForgotPasswordPage />} />
          <Route path="reset-password" element={<ResetPasswordPage />} />
          <Route path="confirm-email" element={<ConfirmEmailChangePage />} />
          <Route element={<RequireSignIn />}>
            <Route index element={<Navigate to="/admin/tickets" replace />} />
            <Route path="tickets" element={<TicketsPage />} />
            <Route path="tickets/:id" element={<TicketPage />} />
            <Route path="contacts" element={<ContactsPage />} />
            <Route path="contacts/new" element={<NewContactPage />} />
            <Route path="contacts/:id" element={<ContactPage />} />
            <Route path="staff" element={<StaffPage />} />
            <Route path="staff/:id" element={<StaffMemberPage />} />
            <Route path="audit" element={<AuditPage />} />
            <Route path="tokens" element={<TokensPage />} />
            <Route path="settings" element={<SettingsPage />} />
            <Route path="bulk-reset" element={<BulkResetPage />} />
            <Route path="pending-actions" element={<PendingActionsPage />} />
            <Route path="overview" element={<OverviewPage />} />
            <Route path="outbox" element={<OutboxPage />} />
            <Route path="account" element={<AccountPage />} />
            <Route path="account/security" element={<SecurityPage />} />
          </Route>
          <Route path="*" element={<NotFoundPage home="/admin" />} />
        </Route>
      </Routes>
    </SessionProvider>
  );
}
