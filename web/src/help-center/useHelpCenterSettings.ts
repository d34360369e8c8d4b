import { useCallback, useEffect, useState } from 'react';
import { helpCenter } from '../api.js';

export interface HelpCenterSettings {
  allowSignup: boolean;
  mfaPolicy: string;
  rememberDeviceDays: number;
}

export interface HelpCenterSettingsState {
  /** The settings, once loaded. */
  settings: HelpCenterSettings | null;
  /** Why they could not be loaded (the server down, the network gone), until a retry. */
  error: unknown;
  /** Asks again after a failure, for every part of the page that uses them. */
  retry(): void;
}

// One fetch per page load, shared by every component that asks (the header and the page): a
// failed one is forgotten, and a retry from any of them fetches again for all.
let cached: Promise<HelpCenterSettings> | null = null;
const listeners = new Set<() => void>();

function load(): Promise<HelpCenterSettings> {
  cached ??= helpCenter.settings().catch((err: unknown) => {
    cached = null;
    throw err;
  });
  return cached;
}

/**
 * The public help-center settings (whether sign-up is open, the MFA policy). A page that waits
 * for them gets the error when they cannot be loaded, and can retry, so it says what went wrong
 * instead of "Loading…" for ever.
 */
export function useHelpCenterSettings(): HelpCenterSettingsState {
  const [settings, setSettings] = useState<HelpCenterSettings | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    const again = () => {
      setError(null);
      setAttempt((a) => a + 1);
    };
    listeners.add(again);
    return () => {
      listeners.delete(again);
    };
  }, []);
  useEffect(() => {
    let live = true;
    load().then(
      (s) => {
        if (!live) return;
        setSettings(s);
        setError(null);
      },
      (err: unknown) => live && setError(err),
    );
    return () => {
      live = false;
    };
  }, [attempt]);
  const retry = useCallback(() => {
    for (const again of [...listeners]) again();
  }, []);
  return { settings, error, retry };
}
