// The emailed setup link (after a staff reset) works only inside a pending sign-in, so a link
// opened before signing in is kept for this tab until the password step has been passed.
const KEY = 'portico.mfaSetupToken';

export function keepSetupToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function keptSetupToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function forgetSetupToken(): void {
  sessionStorage.removeItem(KEY);
}
