import { useEffect, useState } from 'react';
import { helpCenter } from '../api.js';

export interface HelpCenterSettings {
  allowSignup: boolean;
  mfaPolicy: string;
  rememberDeviceDays: number;
}

let cached: Promise<HelpCenterSettings> | null = null;

/** The public help-center settings (whether sign-up is open), fetched once per page load. */
export function useHelpCenterSettings(): HelpCenterSettings | null {
  const [settings, setSettings] = useState<HelpCenterSettings | null>(null);
  useEffect(() => {
    cached ??= helpCenter.settings().catch((err) => {
      cached = null;
      throw err;
    });
    let live = true;
    cached.then((s) => live && setSettings(s)).catch(() => undefined);
    return () => {
      live = false;
    };
  }, []);
  return settings;
}
