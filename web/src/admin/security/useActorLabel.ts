import { useCallback, useMemo } from 'react';
import { consoleApi, type StaffAccount, type StaffRecord } from '../../api.js';
import { useLoad } from '../../shared/useLoad.js';
import { useSession } from '../../shared/session.js';

export interface StaffDirectory {
  /** The signed-in staff member. */
  me: StaffAccount | undefined;
  /** Every staff member, for an admin (only admins may list staff); empty for others, null while loading. */
  staff: StaffRecord[] | null;
  /** Whether `staff` can name anyone: false for a supervisor or an agent. */
  complete: boolean;
  /** A staff member by id: the signed-in one always, others when the list is known. */
  find(id: string | null | undefined): { id: string; name: string; email: string } | undefined;
}

/** The staff members the console may name: the whole list for an admin, oneself for the others. */
export function useStaffDirectory(): StaffDirectory {
  const { session } = useSession();
  const me = session?.staff;
  const isAdmin = me?.role === 'admin';
  const staff = useLoad(async () => (isAdmin ? (await consoleApi.listStaff()).items : []), [isAdmin]);
  const list = staff.data;
  const find = useCallback(
    (id: string | null | undefined) => {
      if (!id) return undefined;
      if (me && me.id === id) return me;
      return list?.find((s) => s.id === id);
    },
    [me, list],
  );
  return useMemo(() => ({ me, staff: list, complete: isAdmin, find }), [me, list, isAdmin, find]);
}

/**
 * Names who did something ("you", a staff member's name, an API token, the customer, Portico). Only admins may list
 * staff, so a supervisor sees other staff members as "another staff member".
 */
export function useActorLabel(): (actor: { type: string; id: string | null }) => string {
  const { me, find } = useStaffDirectory();
  return useCallback(
    (actor) => {
      if (actor.type === 'staff') {
        if (actor.id && actor.id === me?.id) return 'you';
        return find(actor.id)?.name ?? 'another staff member';
      }
      if (actor.type === 'token') return 'an API token';
      if (actor.type === 'cli') return 'the command line';
      if (actor.type === 'contact') return 'the customer';
      if (actor.type === 'system') return 'Portico';
      return actor.type;
    },
    [me?.id, find],
  );
}
