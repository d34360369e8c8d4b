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
  /** Asks again after a failure. */
  retry(): void;
}

let cached: Promise<HelpCenterSettings> | null = null;

/**
 * The public help-center settings (whether sign-up is open, the MFA policy), fetched once per
 * page load. A failed fetch is forgotten, reported to the page and can be retried, so a page that
 * waits for them says what went wrong instead of "Loading…" for ever.
 */
export function useHelpCenterSettings(): HelpCenterSettingsState {
  const [settings, setSettings] = useState<HelpCenterSettings | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    cached ??= helpCenter.settings().catch((err: unknown) => {
      cached = null;
      throw err;
    });
    let live = true;
    cached.then(
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
    setError(null);
    setAttempt((a) => a + 1);
  }, []);
  return { settings, error, retry };
}
