import type { ReactNode } from 'react';
import type { TicketStatus } from '../api.js';
import { STATUS_LABELS } from './format.js';

export function StatusBadge({ status }: { status: TicketStatus }): ReactNode {
  return <span className={`badge status-${status}`}>{STATUS_LABELS[status]}</span>;
}
