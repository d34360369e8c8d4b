import { useMemo } from 'react';
import { consoleApi } from '../../api.js';
import type { StaffDirectory } from '../security/useActorLabel.js';
import type { AuditEvent } from '../security/toolkit-api.js';
import { rememberContact, type ContactName } from './useContactNames.js';

/** Who the audit page can name: staff members (all for an admin, oneself for others) and the customers it looked up. */
export interface People {
  staff(id: string | null | undefined): { name: string; email: string; you: boolean } | undefined;
  contact(id: string | null | undefined): ContactName | undefined;
  /** Admins may open staff pages and look staff members up by email. */
  isAdmin: boolean;
}

export function usePeople(directory: StaffDirectory, contacts: Map<string, ContactName>): People {
  return useMemo(
    () => ({
      staff: (id) => {
        const s = directory.find(id);
        return s ? { name: s.name, email: s.email, you: s.id === directory.me?.id } : undefined;
      },
      contact: (id) => (id ? contacts.get(id) : undefined),
      isAdmin: directory.complete,
    }),
    [directory, contacts],
  );
}

/** The contact ids an audit page mentions (targets, and customers who acted themselves). */
export function contactIdsOf(items: AuditEvent[], also: Array<string | undefined> = []): string[] {
  const ids = new Set<string>();
  for (const e of items) {
    if (e.contactId) ids.add(e.contactId);
    if (e.actor.type === 'contact' && e.actor.id) ids.add(e.actor.id);
  }
  for (const id of also) if (id?.startsWith('ct_')) ids.add(id);
  return [...ids];
}

/** How an actor id reads in a sentence ("Supervisor Person", "API token tok_…"), for the filter's hint. */
export function actorName(people: People, id: string): string {
  if (id.startsWith('st_')) {
    const s = people.staff(id);
    return s ? (s.you ? 'you' : s.name) : `staff member ${id}`;
  }
  if (id.startsWith('ct_')) {
    const c = people.contact(id);
    return c ? `${c.name} (customer)` : `customer ${id}`;
  }
  if (id.startsWith('tok_')) return `API token ${id}`;
  return id;
}

const ID = /^(st|ct|tok)_[A-Za-z0-9_-]+$/;

/**
 * What the "Person or API token" filter field holds, as the `actorId` the API filters on: an id
 * as it is; an email, the staff member's (admins have the staff list; anyone knows their own) or
 * else the customer's with that address. Throws a message for the field when it names no one.
 */
export async function resolveActor(raw: string, directory: StaffDirectory): Promise<string | undefined> {
  const v = raw.trim();
  if (!v) return undefined;
  if (ID.test(v)) return v;
  if (!v.includes('@')) throw new Error("Enter a staff member's id (st_…) or email, an API token's id (tok_…), or a customer's id (ct_…) or email.");
  const email = v.toLowerCase();
  if (directory.me?.email.toLowerCase() === email) return directory.me.id;
  if (directory.complete) {
    const staff = directory.staff ?? (await consoleApi.listStaff()).items;
    const s = staff.find((x) => x.email.toLowerCase() === email);
    if (s) return s.id;
  }
  const found = (await consoleApi.listContacts({ query: v, limit: 50 })).items.find((c) => c.email.toLowerCase() === email);
  if (found) {
    rememberContact(found.id, { name: found.name, email: found.email });
    return found.id;
  }
  throw new Error(
    directory.complete
      ? `No staff member or customer has the email ${v}.`
      : `No customer has the email ${v}. Only admins can look staff members up by email: to see what a staff member did, enter the staff member's id (st_…).`,
  );
}
