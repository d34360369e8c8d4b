import { isIP } from 'node:net';
import type { Email } from './transport.js';

/**
 * Who reads an email. Customers are sent to the help center's support team; staff are the
 * support team, so they are sent to their Portico administrator or security team instead.
 */
export type Audience = 'contact' | 'staff';

/** Who did something, when and from where: every security email says so. */
export interface Circumstances {
  at: Date;
  ip: string | null;
  userAgent: string | null;
  /** "you", or "our support team" for staff actions. */
  actor?: string;
}

interface Message {
  to: string;
  subject: string;
  /** Paragraphs of plain text; never HTML (they are escaped). */
  lines: string[];
  action?: { label: string; url: string };
  circumstances?: Circumstances;
  notYou?: string;
}

export function escapeHTML(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * The browser and system a user agent names, from a fixed list; anything else is "an unknown
 * browser". Never the header's own text: anyone can send any user agent, and a security email
 * quoting "From: …, Security alert: confirm at https://…" would carry an attacker's words (and
 * a link mail clients make clickable) in a genuine email.
 */
export function describeBrowser(ua: string | null): string {
  if (!ua) return 'an unknown browser';
  const browser = /Edg\//.test(ua) ? 'Edge' : /Chrome\//.test(ua) ? 'Chrome' : /Firefox\//.test(ua) ? 'Firefox' : /Safari\//.test(ua) ? 'Safari' : null;
  const os = /Windows/.test(ua) ? 'Windows' : /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS X/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : null;
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? os ?? 'an unknown browser';
}

/** Builds a plain-text and an HTML body from the same paragraphs. */
export function render(m: Message): Email {
  const details: string[] = [];
  if (m.circumstances) {
    const c = m.circumstances;
    details.push(`When: ${c.at.toISOString().replace('T', ' ').slice(0, 16)} UTC`);
    details.push(`By: ${c.actor ?? 'you'}`);
    // Only an IP address is shown as one (see requestMeta: a forwarding header can say anything).
    // Work no request asked for (a bulk job's emails) has no "From" at all.
    if (c.ip !== null || c.userAgent !== null) details.push(`From: ${c.ip !== null && isIP(c.ip) ? c.ip : 'an unknown address'}, ${describeBrowser(c.userAgent)}`);
  }
  const text = [
    ...m.lines,
    ...(m.action ? [`${m.action.label}: ${m.action.url}`] : []),
    ...(details.length ? [details.join('\n')] : []),
    ...(m.notYou ? [m.notYou] : []),
    '— Portico Help Center',
  ].join('\n\n');
  const p = (s: string) => `<p style="margin:0 0 16px">${escapeHTML(s)}</p>`;
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif;color:#1f2933;max-width:560px;margin:24px auto;line-height:1.5">
${m.lines.map(p).join('\n')}
${m.action ? `<p style="margin:24px 0"><a href="${escapeHTML(m.action.url)}" style="background:#2457c5;color:#fff;padding:10px 16px;border-radius:6px;text-decoration:none">${escapeHTML(m.action.label)}</a></p><p style="font-size:13px;color:#52606d">Or open this address: ${escapeHTML(m.action.url)}</p>` : ''}
${details.length ? `<p style="font-size:14px;color:#52606d;margin:0 0 16px">${details.map(escapeHTML).join('<br>')}</p>` : ''}
${m.notYou ? `<p style="margin:0 0 16px"><strong>${escapeHTML(m.notYou)}</strong></p>` : ''}
<p style="color:#7b8794;font-size:13px">— Portico Help Center</p>
</body></html>`;
  return { to: m.to, subject: m.subject, text, html };
}

const STAFF_OWN_ACCOUNT_NOT_YOU = 'If you did not expect this change to your staff account, tell your Portico administrator or security team right away, and change your password.';
const STAFF_OWN_ACCOUNT_NOT_YOU_SELF = 'If this was not you, change your password now and tell your Portico administrator or security team right away: someone may have access to your staff account.';

/**
 * The email of a change to someone's sign-in security; `action` is a button (a link) in it, and
 * `notYou` replaces the closing "if it was not you" advice the actor would choose.
 */
type SecurityNotice = (to: string, subject: string, lines: string[], c: Circumstances, action?: { label: string; url: string }, notYou?: string) => Email;

/** The closing advice of a customer's email about something they did, or that was done as them. */
export const CUSTOMER_SELF_NOT_YOU = 'If this was not you, change your password now and contact support: someone may have access to your account.';

/**
 * The closing advice of a bulk reset's email. Nobody asked for it, so "if you did not ask our
 * support team for this, contact support" would send every customer of an incident to the help
 * desk; and those are the days impostors call customers "from support".
 */
export const INCIDENT_NOT_YOU =
  'You do not need to contact us about this email. Our support team will never ask you for a code or your password; if anyone does, do not give it to them.';

/**
 * Every change to a customer's MFA (PRODUCT.md §3): what changed, when, by whom, from where,
 * and what to do if it was not them. For customers only: staff get staffSecurityNotice.
 */
const securityNotice: SecurityNotice = (to, subject, lines, c, action, notYou) =>
  render({
    to,
    subject,
    lines,
    circumstances: c,
    action,
    notYou:
      notYou ??
      (c.actor && c.actor !== 'you' ? 'If you did not ask our support team for this, reply to this email or contact support right away, and change your password.' : CUSTOMER_SELF_NOT_YOU),
  });

/**
 * A change to a staff member's own staff account (its MFA, by an admin, the CLI or themselves):
 * as securityNotice, but the support team cannot be "contacted" by itself, so it sends them to
 * their Portico administrator or security team.
 */
const staffSecurityNotice: SecurityNotice = (to, subject, lines, c, action, notYou) =>
  render({ to, subject, lines, circumstances: c, action, notYou: notYou ?? (c.actor && c.actor !== 'you' ? STAFF_OWN_ACCOUNT_NOT_YOU : STAFF_OWN_ACCOUNT_NOT_YOU_SELF) });

/** The closing advice of an email about something done as the reader (`CUSTOMER_SELF_NOT_YOU`, or the staff one). */
export const selfNotYou = (audience: Audience): string => (audience === 'staff' ? STAFF_OWN_ACCOUNT_NOT_YOU_SELF : CUSTOMER_SELF_NOT_YOU);

export const templates = {
  verifyEmail: (to: string, url: string): Email =>
    render({
      to,
      subject: 'Confirm your email address',
      lines: ['Welcome to the help center. Confirm this email address to open tickets and protect your account.', 'The link works once and expires in 24 hours.'],
      action: { label: 'Confirm email address', url },
      notYou: 'If you did not sign up, ignore this email: no account is usable without this confirmation.',
    }),
  signupExisting: (to: string, signInURL: string, resetURL: string): Email =>
    render({
      to,
      subject: 'Someone tried to sign up with your email address',
      lines: [
        'Somebody tried to create a help-center account with this email address, which already has one.',
        `If it was you, sign in at ${signInURL}, or reset your password at ${resetURL}.`,
      ],
      notYou: 'If it was not you, you can ignore this email; your account has not changed.',
    }),
  invitation: (to: string, name: string, url: string, role?: string): Email =>
    render({
      to,
      subject: role ? 'You have been invited to the help desk console' : 'You have been invited to the help center',
      lines: [`Hello ${name},`, role ? `You have been invited to the support console as ${role}. Choose a password to accept.` : 'Our support team created a help-center account for you. Choose a password to accept.', 'The link works once and expires in 7 days.'],
      action: { label: 'Accept invitation', url },
    }),
  passwordReset: (to: string, url: string, c: Circumstances): Email =>
    render({
      to,
      subject: 'Reset your password',
      lines: ['Somebody asked to reset the password of this account. The link works once and expires in 1 hour. Resetting your password does not sign you in and does not change your two-step verification.'],
      action: { label: 'Choose a new password', url },
      circumstances: c,
      notYou: 'If you did not ask for this, ignore this email: your password stays as it is.',
    }),
  passwordChanged: (to: string, c: Circumstances, audience: Audience = 'contact'): Email =>
    render({
      to,
      subject: 'Your password was changed',
      lines: ['The password of your account was changed and your other sessions were signed out.'],
      circumstances: c,
      notYou: audience === 'staff' ? 'If this was not you, reset your password now and tell your Portico administrator or security team right away: someone may have access to your staff account.' : 'If this was not you, reset your password now and contact support.',
    }),
  emailChangeConfirm: (to: string, url: string): Email =>
    render({
      to,
      subject: 'Confirm your new email address',
      lines: ['Confirm this address to make it the email of your help-center account. The link works once and expires in 24 hours.'],
      action: { label: 'Confirm new address', url },
    }),
  emailChangeNotice: (to: string, newEmail: string, c: Circumstances, audience: Audience = 'contact'): Email =>
    render({
      to,
      subject: 'Your email address is being changed',
      lines: [`A change of this account's email address to ${newEmail} was requested. It takes effect once the new address is confirmed.`],
      circumstances: c,
      notYou: audience === 'staff' ? STAFF_OWN_ACCOUNT_NOT_YOU_SELF : 'If this was not you, change your password now and contact support.',
    }),
  ticketReply: (to: string, subject: string, url: string): Email =>
    render({
      to,
      subject: `New reply on your request: ${subject}`,
      lines: [`Our support team replied to your request "${subject}".`],
      action: { label: 'Read the reply', url },
    }),
  securityNotice,
  staffSecurityNotice,
  /**
   * The security notice for whoever owns the account: securityNotice for a contact,
   * staffSecurityNotice for a staff member. For code that acts on either kind of account.
   */
  securityNoticeFor: (audience: Audience): SecurityNotice => (audience === 'staff' ? staffSecurityNotice : securityNotice),
  /**
   * Tells an admin of a help-center-wide security event someone else caused (a break-glass
   * reset, a bulk reset, a policy change, an API token): nothing changed on their own account,
   * so the "was it you" question is whether anyone on the team expected it.
   */
  adminAlert: (to: string, subject: string, lines: string[], c: Circumstances): Email =>
    render({
      to,
      subject,
      lines,
      circumstances: c,
      notYou: 'If nobody on your team expected this, treat it as a security incident: tell your security team and the other admins right away, and check the audit log.',
    }),
  /**
   * Tells a staff member that a customer said "it was not me" to something the staff member did
   * for a caller (a temporary code, a scheduled change): the caller was likely an impostor.
   */
  customerCancelledStaffNotice: (to: string, subject: string, lines: string[], c: Circumstances): Email =>
    render({
      to,
      subject,
      lines,
      circumstances: c,
      notYou:
        "Treat this as possible social engineering: do not issue new codes or change this customer's sign-in methods again without re-verifying their identity (an emailed identity check to the address on file), and tell your security team.",
    }),
};
