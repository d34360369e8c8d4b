import { useCallback } from 'react';
import { consoleApi } from '../../api.js';
import { useLoad } from '../../shared/useLoad.js';
import { useSession } from '../../shared/session.js';

/**
 * Names who did something ("you", a staff member's name, an API token, the customer, Portico). Only admins may list
 * staff, so a supervisor sees other staff members as "another staff member".
 */
export function useActorLabel(): (actor: { type: string; id: string | null }) => string {
  const { session } = useSession();
  const me = session?.staff;
  const staff = useLoad(async () => (me?.role === 'admin' ? (await consoleApi.listStaff()).items : []), [me?.role]);
  return useCallback(
    (actor) => {
      if (actor.type === 'staff') {
        if (actor.id && actor.id === me?.id) return 'you';
        return staff.data?.find((s) => s.id === actor.id)?.name ?? 'another staff member';
      }
      if (actor.type === 'token') return 'an API token';
      if (actor.type === 'cli') return 'the command line';
      if (actor.type === 'contact') return 'the customer';
      if (actor.type === 'system') return 'Portico';
      return actor.type;
    },
    [me?.id, staff.data],
  );
}
