/**
 * The stable error codes of API.md, each with its HTTP status and a default title. Services
 * throw AppError with one of these; the one error handler turns it into problem+json. The UI
 * switches on `code`, never on the text.
 */
export const ERRORS = {
  unauthenticated: [401, 'Sign in first'],
  invalid_input: [400, 'The request is not valid'],
  invalid_credentials: [401, 'Email or password is wrong'],
  invalid_code: [400, 'That code is not valid'],
  invalid_token: [400, 'That link or token is not valid or has expired'],
  mfa_required: [401, 'Finish the second sign-in step first'],
  enrollment_required: [403, 'Set up a second factor first'],
  challenge_locked: [429, 'Too many wrong codes for this sign-in'],
  account_locked: [429, 'The second step of this account is locked'],
  step_up_required: [403, 'Confirm it is you with your second factor first'],
  verification_required: [403, 'A confirmed identity check is required'],
  csrf_failed: [403, 'The request is missing a valid CSRF token'],
  forbidden: [403, 'You are not allowed to do this'],
  not_found: [404, 'Not found'],
  conflict: [409, 'This conflicts with the current state'],
  rate_limited: [429, 'Too many requests; try again later'],
  payload_too_large: [413, 'The request body is too large'],
  internal: [500, 'Something went wrong on our side'],
} as const satisfies Record<string, readonly [number, string]>;

export type ErrorCode = keyof typeof ERRORS;

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    readonly detail?: string,
    /** Extra members for the problem document (for example `retryAfter`). */
    readonly extra?: Record<string, unknown>,
  ) {
    super(detail ?? ERRORS[code][1]);
    this.name = 'AppError';
    this.status = ERRORS[code][0];
  }
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  [key: string]: unknown;
}

export function problemFor(code: ErrorCode, detail?: string, extra?: Record<string, unknown>): Problem {
  const [status, title] = ERRORS[code];
  return { type: `https://portico.dev/problems/${code.replace(/_/g, '-')}`, title, status, detail: detail ?? title, code, ...extra };
}
