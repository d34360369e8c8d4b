import { useEffect, useId, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { consoleApi, type ContactRecord, type MFAFilter } from '../api.js';
import { FormError } from '../shared/FormError.js';
import { Loading } from '../shared/Loading.js';
import { formatDateTime } from '../shared/format.js';
import { useAction } from '../shared/useAction.js';
import { useTitle } from '../shared/useTitle.js';
import { MFABadges } from './MFABadges.js';

const MFA_FILTERS: Array<{ value: MFAFilter | ''; label: string }> = [
  { value: '', label: 'Any' },
  { value: 'enrolled', label: 'Enrolled' },
  { value: 'not_enrolled', label: 'Not enrolled' },
  { value: 'locked', label: 'Locked out' },
  { value: 'enrollment_required', label: 'Enrollment required' },
];

/** Searches contacts by name or email, filters by MFA state, and pages with "Load more". */
export function ContactsPage(): ReactNode {
  const searchID = useId();
  const filterID = useId();
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  const [mfa, setMFA] = useState<MFAFilter | ''>('');
  const [items, setItems] = useState<ContactRecord[] | null>(null);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const load = useAction();
  useTitle('Contacts', 'Portico console');

  // Search as the person types, a moment after they stop.
  useEffect(() => {
    const t = setTimeout(() => setQuery(search.trim()), 250);
    return () => clearTimeout(t);
  }, [search]);

  useEffect(() => {
    let live = true;
    setItems(null);
    void load.run(async () => {
      const page = await consoleApi.listContacts({ query, mfa });
      if (!live) return;
      setItems(page.items);
      setNextCursor(page.nextCursor);
    });
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [query, mfa]);

  async function loadMore() {
    await load.run(async () => {
      const page = await consoleApi.listContacts({ query, mfa, cursor: nextCursor });
      setItems((prev) => [...(prev ?? []), ...page.items]);
      setNextCursor(page.nextCursor);
    });
  }

  const filtered = query !== '' || mfa !== '';
  return (
    <section>
      <div className="page-head">
        <h1>Contacts</h1>
        <Link className="button" to="/admin/contacts/new">
          New contact
        </Link>
      </div>
      <form className="filters" role="search" onSubmit={(e) => (e.preventDefault(), setQuery(search.trim()))}>
        <div className="field">
          <label htmlFor={searchID}>Search contacts</label>
          <input id={searchID} type="search" placeholder="Name or email" value={search} onChange={(e) => setSearch(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={filterID}>MFA status</label>
          <select id={filterID} value={mfa} onChange={(e) => setMFA(e.target.value as MFAFilter | '')}>
            {MFA_FILTERS.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
          </select>
        </div>
      </form>
      <FormError error={load.error} />
      {items === null ? (
        load.error ? null : <Loading />
      ) : items.length === 0 ? (
        <p className="empty">{filtered ? 'No contacts match this search.' : 'No contacts yet. Customers appear here when they sign up or are invited.'}</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">MFA</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {items.map((c) => (
              <tr key={c.id}>
                <td>
                  <Link to={`/admin/contacts/${c.id}`}>{c.name}</Link>
                </td>
                <td>{c.email}</td>
                <td>
                  <MFABadges mfa={c.mfa} />
                </td>
                <td>{formatDateTime(c.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {items !== null && nextCursor && (
        <button type="button" className="secondary" onClick={loadMore} disabled={load.busy}>
          {load.busy ? 'Loading…' : 'Load more'}
        </button>
      )}
    </section>
  );
}
