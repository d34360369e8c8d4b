import type { ReactNode } from 'react';

export function Loading({ label = 'Loading…' }: { label?: string }): ReactNode {
  return (
    <p className="loading" role="status">
      {label}
    </p>
  );
}
