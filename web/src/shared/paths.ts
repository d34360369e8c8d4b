import type { Audience, SignInState } from '../api.js';

/** Where an audience's pages live: the help center at /, the console at /admin. */
export function basePath(audience: Audience): string {
  return audience === 'staff' ? '/admin' : '';
}

/** The home page after signing in. */
export function homePath(audience: Audience): string {
  return audience === 'staff' ? '/admin/tickets' : '/tickets';
}

/**
 * Where a sign-in in this state continues. The second step and the enrollment pages are the
 * MFA feature's; everything that routes by state goes through here, so they plug in here.
 */
export function pathForState(audience: Audience, state: SignInState, next?: string | null): string {
  const base = basePath(audience);
  switch (state) {
    case 'anonymous':
      return `${base}/sign-in`;
    case 'mfa_required':
      return `${base}/sign-in/verify`;
    case 'enrollment_required':
      return `${base}/mfa/setup`;
    case 'authenticated':
      return next && isSafeNext(audience, next) ? next : homePath(audience);
  }
}

/**
 * Only same-app paths may be a `next` target (no open redirects). Browsers read a backslash as
 * a slash in URLs, so `/\evil.example` is another site, like `//evil.example`; control characters
 * (which URL parsing drops) are refused too.
 */
export function isSafeNext(audience: Audience, next: string): boolean {
  if (!next.startsWith('/') || next.startsWith('//') || /[\\\u0000-\u001f\u007f]/.test(next)) return false;
  const inConsole = next === '/admin' || next.startsWith('/admin/');
  return audience === 'staff' ? inConsole : !inConsole;
}
