import type { ReactNode } from 'react';

/**
 * The contact page's Security panel (PRODUCT.md §4): MFA status, factors, sessions and the
 * staff MFA actions. Only the frame for now; the MFA feature fills it in.
 */
export function SecurityPanel({ contactId }: { contactId: string }): ReactNode {
  return (
    <section className="card security-panel" aria-label="Security" data-contact-id={contactId}>
      <h2>Security</h2>
    </section>
  );
}
