import type { Context } from '../context.js';

/** Whose an API token is, as the console names it. */
export interface TokenOwner {
  id: string;
  name: string;
  email: string;
}

/**
 * The owners of some API tokens, by staff id, in one read. A token's owner never changes and
 * staff are never deleted, so every id is found; one that is not is left out.
 */
export async function findTokenOwners(ctx: Context, staffIDs: string[]): Promise<Map<string, TokenOwner>> {
  const ids = [...new Set(staffIDs)];
  if (!ids.length) return new Map();
  const rows = await ctx.db.selectFrom('staff').select(['id', 'name', 'email']).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, { id: r.id, name: r.name, email: r.email }]));
}

/** One API token's id and owner (revoked or not); null for an id no token has. */
export async function findAPITokenOwner(ctx: Context, tokenID: string): Promise<{ id: string; owner: TokenOwner | null } | null> {
  const row = await ctx.db.selectFrom('api_tokens').select(['id', 'staff_id']).where('id', '=', tokenID).executeTakeFirst();
  if (!row) return null;
  return { id: row.id, owner: (await findTokenOwners(ctx, [row.staff_id])).get(row.staff_id) ?? null };
}
