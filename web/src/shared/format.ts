/** A short, local date and time for lists and messages. */
export function formatDateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export const STATUS_LABELS = { open: 'Open', pending: 'Pending', solved: 'Solved' } as const;
