/**
 * A plain address, `local@domain`, and nothing a mail library would read as more: no spaces
 * or control characters, no display name or angle brackets, no comments, quotes, lists or
 * groups. Mail libraries parse a recipient as an address list, so `x<sam@corp.example>` was
 * delivered to sam@corp.example while Portico stored, compared and showed it as another
 * address (it got past the rule that staff never act on their own customer account).
 */
export const PLAIN_EMAIL_ADDRESS = /^[^\s\x00-\x1f\x7f@<>()[\]\\,;:"]+@[^\s\x00-\x1f\x7f@<>()[\]\\,;:"]+$/;

/**
 * Whether two email addresses reach the same mailbox, as far as the addresses alone tell.
 * Staff may not run MFA actions on their own customer account (PRODUCT.md §4), and comparing
 * addresses exactly let a supervisor act on "sam+help@corp.example" while being
 * "sam@corp.example". What counts as the same mailbox here:
 * - letter case, anywhere in the address;
 * - a "+tag" after the local part (sub-addressing: Gmail, Outlook, Fastmail, Proton and most
 *   company mail servers deliver it to the untagged inbox);
 * - at gmail.com (and its old name googlemail.com), dots in the local part, which Gmail ignores.
 * Other separators ("-" at some providers) are not folded: "jo-ann@" and "jo@" are usually two
 * people, and a false match here refuses a legitimate action. An unrelated address of the
 * same person cannot be told from anyone else's; the waiting period and the email to the
 * customer cover that case.
 */
export function mailboxKey(email: string): string {
  const address = email.trim().toLowerCase();
  const at = address.lastIndexOf('@');
  if (at <= 0) return address;
  let local = address.slice(0, at);
  let domain = address.slice(at + 1);
  const plus = local.indexOf('+');
  if (plus > 0) local = local.slice(0, plus);
  if (domain === 'googlemail.com') domain = 'gmail.com';
  if (domain === 'gmail.com') local = local.replace(/\./g, '');
  return `${local}@${domain}`;
}

export function sameMailbox(a: string, b: string): boolean {
  return mailboxKey(a) === mailboxKey(b);
}
