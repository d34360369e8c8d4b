import type { ReactNode } from 'react';
import { Loading } from '../shared/Loading.js';
import { useSession } from '../shared/session.js';
import { useTitle } from '../shared/useTitle.js';
import { NameForm } from '../shared/account/NameForm.js';
import { PasswordForm } from '../shared/account/PasswordForm.js';
import { EmailForm } from '../shared/account/EmailForm.js';
import { SessionsCard } from '../shared/account/SessionsCard.js';
import { SecurityLinkCard } from '../shared/account/SecurityLinkCard.js';

/** The staff member's own profile, password, email address and sessions. */
export function AccountPage(): ReactNode {
  const { session } = useSession();
  useTitle('Account', 'Portico console');
  const staff = session?.staff;
  if (!staff) return <Loading />;
  return (
    <section>
      <h1>Account</h1>
      <p className="muted">
        Signed in as {staff.name} ({staff.role}).
      </p>
      <div className="grid">
        <NameForm current={staff.name} />
        <EmailForm current={staff.email} />
        <PasswordForm />
        <SecurityLinkCard />
        <SessionsCard />
      </div>
    </section>
  );
}
