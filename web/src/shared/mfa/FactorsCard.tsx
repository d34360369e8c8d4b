import { useState, type ReactNode } from 'react';
import type { EnrollmentAnswer, MFAOverview } from './mfa-api.js';
import type { StepUpGuard } from './useStepUp.js';
import { AddAuthenticator } from './AddAuthenticator.js';
import { AddPasskey } from './AddPasskey.js';
import { FactorRow } from './FactorRow.js';

interface FactorsCardProps {
  overview: MFAOverview;
  guard: StepUpGuard['guard'];
  /** Two-step verification is required of this person (policy or role): the last method stays. */
  required: boolean;
  onAdded(a: EnrollmentAnswer): void;
  onChanged(message: string): void;
}

/** The person's sign-in methods, with add, rename and remove. */
export function FactorsCard({ overview, guard, required, onAdded, onChanged }: FactorsCardProps): ReactNode {
  // Remounting the add forms after a change closes them.
  const [generation, setGeneration] = useState(0);
  const added = (a: EnrollmentAnswer) => {
    setGeneration((g) => g + 1);
    onAdded(a);
  };
  const { factors } = overview;
  return (
    <section className="card" aria-labelledby="factors-title">
      <h2 id="factors-title">Two-step verification</h2>
      {factors.length === 0 ? (
        <p className="empty">Two-step verification is off: you sign in with your password only. Add an authenticator app or a passkey to protect your account.</p>
      ) : (
        <table className="table factors" aria-label="Sign-in methods">
          <thead>
            <tr>
              <th scope="col">Type</th>
              <th scope="col">Name</th>
              <th scope="col">Added</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {factors.map((f) => (
              <FactorRow key={f.id} factor={f} last={factors.length === 1} required={required} recoveryCodesLeft={overview.recoveryCodesLeft} rememberedBrowsers={overview.rememberedDevices.length} guard={guard} onChanged={onChanged} />
            ))}
          </tbody>
        </table>
      )}
      <div className="add-factors" key={generation}>
        <AddAuthenticator guard={guard} onAdded={added} onCancel={() => setGeneration((g) => g + 1)} />
        <AddPasskey guard={guard} onAdded={added} />
      </div>
    </section>
  );
}
