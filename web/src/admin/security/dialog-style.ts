import type { CSSProperties } from 'react';

// Style props, not a stylesheet rule: the strict CSP allows them, and styles.css stays shared.
export const BACKDROP: CSSProperties = {
  position: 'fixed',
  inset: 0,
  background: 'rgba(15, 23, 42, 0.45)',
  display: 'flex',
  alignItems: 'flex-start',
  justifyContent: 'center',
  overflowY: 'auto',
  padding: '3rem 1rem',
  zIndex: 10,
};

export const DIALOG: CSSProperties = { maxWidth: '42rem', width: '100%', margin: 0 };
