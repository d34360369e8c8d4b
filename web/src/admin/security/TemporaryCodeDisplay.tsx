import { useState, type ReactNode } from 'react';
import { formatDateTime } from '../../shared/format.js';

/** Groups of four characters, to read aloud ("ABCD-EFGH-…" or a plain run of characters). */
export function groupCode(code: string): string {
  if (/[\s-]/.test(code)) return code;
  return code.match(/.{1,4}/g)?.join(' ') ?? code;
}

/**
 * A one-time secret (temporary access code, API token) shown once, large and monospaced, with
 * a copy button. Nothing keeps it: when this unmounts it is gone.
 */
export function OneTimeSecret({ label, value, grouped, children }: { label: string; value: string; grouped?: boolean; children?: ReactNode }): ReactNode {
  const [copied, setCopied] = useState(false);
  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  }
  return (
    <div className="one-time-secret">
      <p>
        <strong>{label}</strong> — shown only now. Nobody can see it again after you close this.
      </p>
      <output aria-label={label} className="secret" style={{ fontFamily: 'ui-monospace, monospace', fontSize: grouped ? '2rem' : '1rem', letterSpacing: grouped ? '0.1em' : undefined, display: 'block', wordBreak: 'break-all', padding: '0.5rem 0' }}>
        {grouped ? groupCode(value) : value}
      </output>
      {children}
      <button type="button" className="secondary" onClick={copy}>
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}

export function TemporaryCodeDisplay({ code, expiresAt }: { code: string; expiresAt: string }): ReactNode {
  return (
    <OneTimeSecret label="Temporary access code" value={code} grouped>
      <p>
        Expires {formatDateTime(expiresAt)}. Read it to the customer; it lets them sign in once to set up a new method.
      </p>
    </OneTimeSecret>
  );
}
