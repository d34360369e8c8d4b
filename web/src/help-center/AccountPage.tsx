import type { ReactNode } from 'react';
import { Loading } from '../shared/Loading.js';
import { useSession } from '../shared/session.js';
import { useTitle } from '../shared/useTitle.js';
import { NameForm } from '../shared/account/NameForm.js';
import { PasswordForm } from '../shared/account/PasswordForm.js';
import { EmailForm } from '../shared/account/EmailForm.js';
import { SessionsCard } from '../shared/account/SessionsCard.js';
import { SecurityLinkCard } from '../shared/account/SecurityLinkCard.js';
import { VerifyEmailNotice } from '../shared/account/VerifyEmailNotice.js';

/** The customer's profile, password, email address and sessions. */
export function AccountPage(): ReactNode {
  const { session } = useSession();
  useTitle('Account');
  const contact = session?.contact;
  if (!contact) return <Loading />;
  return (
    <section>
      <h1>Account</h1>
      {!contact.emailVerified && <VerifyEmailNotice />}
      <div className="grid">
        <NameForm current={contact.name} />
        <EmailForm current={contact.email} />
        <PasswordForm />
        <SecurityLinkCard />
        <SessionsCard />
      </div>
    </section>
  );
}
