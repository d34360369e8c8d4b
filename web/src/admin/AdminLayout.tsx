import type { ReactNode } from 'react';
import { Link, NavLink, Outlet } from 'react-router';
import { useSession } from '../shared/session.js';
import { SignOutButton } from '../shared/SignOutButton.js';

/** The console's header and page frame; admin-only sections show to admins only. */
export function AdminLayout(): ReactNode {
  const { session } = useSession();
  const staff = session?.state === 'authenticated' ? session.staff : undefined;
  return (
    <div className="app console">
      <header className="topbar">
        <Link to="/admin" className="brand">
          Portico <span className="brand-sub">console</span>
        </Link>
        {staff && (
          <nav aria-label="Main">
            <NavLink to="/admin/tickets">Tickets</NavLink>
            <NavLink to="/admin/contacts">Contacts</NavLink>
            {staff.role === 'admin' && <NavLink to="/admin/staff">Staff</NavLink>}
            <NavLink to="/admin/audit">Audit log</NavLink>
            {staff.role === 'admin' && <NavLink to="/admin/tokens">API tokens</NavLink>}
            {staff.role !== 'agent' && <NavLink to="/admin/pending-actions">Scheduled</NavLink>}
            {staff.role === 'admin' && <NavLink to="/admin/bulk-reset">Bulk reset</NavLink>}
            {staff.role === 'admin' && <NavLink to="/admin/overview">Overview</NavLink>}
            {staff.role === 'admin' && <NavLink to="/admin/outbox">Email</NavLink>}
            {staff.role === 'admin' && <NavLink to="/admin/settings">Settings</NavLink>}
            <NavLink to="/admin/account/security">Security</NavLink>
            <NavLink to="/admin/account" end title={`${staff.name} (${staff.role})`}>
              Account
            </NavLink>
          </nav>
        )}
        {staff && (
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
