import { useState, type ReactNode } from 'react';
import { FormError } from '../../shared/FormError.js';
import { useAction } from '../../shared/useAction.js';
import { auditApi } from './audit-api.js';

type Verified = Awaited<ReturnType<typeof auditApi.verify>>;

/** Checks the HMAC chain and shows the count and head hash (record them elsewhere). */
export function VerifyChain(): ReactNode {
  const [result, setResult] = useState<Verified | null>(null);
  const action = useAction();
  return (
    <div>
      <button type="button" className="secondary" disabled={action.busy} onClick={() => action.run(async () => setResult(await auditApi.verify()))}>
        Verify chain
      </button>
      <FormError error={action.error} />
      {result && (
        <p role="status" className={result.ok ? 'success' : 'error'}>
          {result.ok ? 'Chain OK' : `Chain BROKEN${result.firstBrokenId ? ` at ${result.firstBrokenId}` : ''}${result.problem ? ` (${result.problem})` : ''}`} — {result.checked} entries checked; head hash{' '}
          <code style={{ wordBreak: 'break-all' }}>{result.headHash ?? 'none'}</code>
        </p>
      )}
    </div>
  );
}
