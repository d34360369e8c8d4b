import { useEffect, useId, useState, type ReactNode } from 'react';
import { consoleApi, type Ticket, type TicketStatus } from '../api.js';
import { FormError } from '../shared/FormError.js';
import { Loading } from '../shared/Loading.js';
import { useAction } from '../shared/useAction.js';
import { useTitle } from '../shared/useTitle.js';
import { TicketTable } from './TicketTable.js';

type RecoveryFilter = '' | 'true' | 'false';

/** Every ticket, newest first, filtered by status and by MFA-recovery requests. */
export function TicketsPage(): ReactNode {
  const statusID = useId();
  const recoveryID = useId();
  const [status, setStatus] = useState<TicketStatus | ''>('');
  const [recovery, setRecovery] = useState<RecoveryFilter>('');
  const [items, setItems] = useState<Ticket[] | null>(null);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const load = useAction();
  useTitle('Tickets', 'Portico console');

  useEffect(() => {
    let live = true;
    setItems(null);
    void load.run(async () => {
      const page = await consoleApi.listTickets({ status, recovery });
      if (!live) return;
      setItems(page.items);
      setNextCursor(page.nextCursor);
    });
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [status, recovery]);

  async function loadMore() {
    await load.run(async () => {
      const page = await consoleApi.listTickets({ status, recovery, cursor: nextCursor });
      setItems((prev) => [...(prev ?? []), ...page.items]);
      setNextCursor(page.nextCursor);
    });
  }

  const filtered = status !== '' || recovery !== '';
  return (
    <section>
      <h1>Tickets</h1>
      <div className="filters">
        <div className="field">
          <label htmlFor={statusID}>Status</label>
          <select id={statusID} value={status} onChange={(e) => setStatus(e.target.value as TicketStatus | '')}>
            <option value="">Any</option>
            <option value="open">Open</option>
            <option value="pending">Pending</option>
            <option value="solved">Solved</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor={recoveryID}>MFA recovery</label>
          <select id={recoveryID} value={recovery} onChange={(e) => setRecovery(e.target.value as RecoveryFilter)}>
            <option value="">All tickets</option>
            <option value="true">MFA recovery requests only</option>
            <option value="false">Other tickets only</option>
          </select>
        </div>
      </div>
      <FormError error={load.error} />
      {items === null ? load.error ? null : <Loading /> : <TicketTable tickets={items} empty={filtered ? 'No tickets match these filters.' : 'No tickets yet.'} />}
      {items !== null && nextCursor && (
        <button type="button" className="secondary" onClick={loadMore} disabled={load.busy}>
          {load.busy ? 'Loading…' : 'Load more'}
        </button>
      )}
    </section>
  );
}
