import { useEffect, useRef, useState, type ReactNode } from 'react';

/** Offers the codes as a text file (a blob: download, which the CSP allows). */
function download(codes: string[]): void {
  const text = ['Portico recovery codes', 'Each code works once. Keep them somewhere safe.', '', ...codes, ''].join('\n');
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = 'recovery-codes.txt';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * New recovery codes, shown once: the person saves them (download or copy) and says so before
 * going on, since the server keeps only their hashes. They take the keyboard focus when they
 * appear: what was focused (the confirmation that asked for them, the form that added the first
 * method) has left the page, and the focus would otherwise fall to the page's body.
 */
export function RecoveryCodes({ codes, onDone, doneLabel = 'Continue' }: { codes: string[]; onDone(): void; doneLabel?: string }): ReactNode {
  const [saved, setSaved] = useState(false);
  const title = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    title.current?.focus();
  }, []);
  return (
    <section className="card recovery-codes" aria-labelledby="recovery-codes-title">
      <h2 id="recovery-codes-title" ref={title} tabIndex={-1}>
        Save your recovery codes
      </h2>
      <p>
        If you lose your phone or passkey, each of these codes lets you sign in once. <strong>They are shown only now.</strong> Store them in a
        password manager or print them.
      </p>
      <ul className="codes" aria-label="Recovery codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ul>
      <div className="actions">
        <button type="button" className="secondary" onClick={() => download(codes)}>
          Download as text
        </button>
      </div>
      <div className="field checkbox">
        <label>
          <input type="checkbox" checked={saved} onChange={(e) => setSaved(e.target.checked)} /> I have saved these codes
        </label>
      </div>
      <button type="button" disabled={!saved} onClick={onDone}>
        {doneLabel}
      </button>
    </section>
  );
}
