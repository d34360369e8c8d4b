import type { CSSProperties } from 'react';

// Style props, not a stylesheet rule: the strict CSP allows them, and styles.css stays shared
// (only the native dialog's ::backdrop, which no style prop reaches, is in styles.css).
export const DIALOG: CSSProperties = { maxWidth: '42rem', width: 'calc(100% - 2rem)', margin: '3rem auto auto', maxHeight: 'calc(100vh - 6rem)', overflowY: 'auto' };
