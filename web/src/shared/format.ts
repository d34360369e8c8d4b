/** A short, local date and time for lists and messages. */
export function formatDateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** How long until `iso`, from `now`: "in 17 h", "in 25 min", "in 3 days"; "any moment now" once it is due. */
export function timeLeft(iso: string, now: number): string {
  const minutes = Math.round((new Date(iso).getTime() - now) / 60_000);
  if (Number.isNaN(minutes)) return '';
  if (minutes <= 0) return 'any moment now';
  if (minutes < 60) return `in ${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `in ${hours} h`;
  return `in ${Math.round(hours / 24)} days`;
}

export const STATUS_LABELS = { open: 'Open', pending: 'Pending', solved: 'Solved' } as const;
