import type { ReactNode } from 'react';
import { SecurityPanel as Panel } from './security/SecurityPanel.js';

/** The contact page's Security panel (PRODUCT.md §4); the feature lives in ./security/. */
export function SecurityPanel({ contactId, onChanged }: { contactId: string; onChanged?(): void }): ReactNode {
  return <Panel target={{ kind: 'contact', id: contactId }} onChanged={onChanged} />;
}
