/**
 * The floor of the TOTP second step's design on SQLite: the same statements, pages and crypto as
 * `POST /api/v1/auth/mfa/verify` with an authenticator code (session and person read, limits and
 * apps read, the seed's AES-GCM open and the code's HMACs, then in one group-committed
 * transaction the MFA state read, the replay guard, the challenge's delete, the session's move to
 * a new id, the audit entry with its chain HMAC and the head), written by hand: synchronous
 * better-sqlite3 statements, no Kysely, no layers, no checks beyond the ones that decide a pass.
 *
 * A measuring instrument, not a second implementation: it answers "what would this work cost
 * with no code around it", which bounds what any rewrite of Portico's path could reach. It knows
 * no failures (a wrong code, a lock, a race: it throws) and must be the only user of its
 * connection while it runs. Used by bench/tools/second-step-floor-server.ts (over HTTP, against
 * the bare route: `npx tsx bench/second-step.ts --server floor`) and bench/tools/second-step-logic.ts
 * (in one process against Portico's own functions, without HTTP).
 */
import { createHash, createHmac } from 'node:crypto';
import type { Context } from '../../src/context.js';
import { groupCommitDriverOf } from '../../src/db/sqlite-group-commit.js';
import { generateID, generateToken } from '../../src/crypto/random.js';
import { matchTOTPStep } from '../../src/mfa/totp.js';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const hmac = (key: Buffer, s: string) => createHmac('sha256', key).update(s).digest('hex');
const DAY = 86_400_000;

export interface Floor {
  /** Passes a pending sign-in's second step: the new session token and its CSRF token. */
  verify(token: string, code: string, meta: { ip: string | null; userAgent: string | null }): Promise<{ token: string; csrfToken: string }>;
  /** Whether a request's CSRF header is right for its session cookie (the check Portico's API runs). */
  csrfOK(token: string, sent: string | undefined): boolean;
}

export function createFloor(ctx: Context): Floor {
  const driver = groupCommitDriverOf(ctx.db);
  if (!driver) throw new Error('the floor runs on SQLite only');
  const db = driver.direct;
  const reader = (sql: string) => db.prepare(sql).raw(true);
  const session = reader(
    `select "sessions"."id_hash", "sessions"."kind", "sessions"."subject_id", "sessions"."level", "sessions"."created_at", "sessions"."last_seen_at", "sessions"."expires_at", "sessions"."step_up_at", "sessions"."ip", "sessions"."user_agent", "p"."id" as "p_id", "p"."email" as "p_email", "p"."name" as "p_name", "p"."password_hash" as "p_password_hash", "p"."email_verified_at" as "p_email_verified_at", "p"."created_at" as "p_created_at", "p"."updated_at" as "p_updated_at" from "sessions" left join "contacts" as "p" on "p"."id" = "sessions"."subject_id" where "sessions"."id_hash" = ? and "sessions"."kind" = ?`,
  );
  const limits = reader(
    `select "c"."attempts", "a"."failures", "a"."locked_until", "a"."hard_locked", "f"."id" as "factor_id", "f"."secret_sealed" from "mfa_challenges" as "c" left join "mfa_accounts" as "a" on "a"."owner_kind" = ? and "a"."owner_id" = ? left join "mfa_factors" as "f" on "f"."owner_kind" = ? and "f"."owner_id" = ? and "f"."status" = ? and "f"."type" = ? where "c"."session_hash" = ? and "c"."purpose" = ? order by "f"."created_at"`,
  );
  const mfaState = reader(`select * from "mfa_accounts" where "owner_kind" = ? and "owner_id" = ?`);
  const replayGuard = db.prepare(`update "mfa_factors" set "last_used_step" = ?, "last_used_at" = ? where "id" = ? and "status" = ? and ("last_used_step" is null or "last_used_step" < ?)`);
  const dropChallenge = db.prepare(`delete from "mfa_challenges" where "session_hash" = ? and "purpose" = ? and "attempts" < ?`);
  const moveSession = db.prepare(
    `update "sessions" set "id_hash" = ?, "level" = ?, "created_at" = ?, "last_seen_at" = ?, "expires_at" = ?, "step_up_at" = ?, "ip" = ?, "user_agent" = ? where "id_hash" = ? and "kind" = ? and "subject_id" = ? and "expires_at" > ?`,
  );
  const auditInsert = db.prepare(
    `insert into "audit_events" ("seq", "id", "at", "actor_type", "actor_id", "contact_id", "staff_id", "action", "reason", "verification", "ip", "user_agent", "details", "prev_hash", "hash") values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const auditHead = reader(`select "seq", "hash" from "audit_head" where "id" = 1`);
  const moveHead = db.prepare(`update "audit_head" set "seq" = ?, "hash" = ? where "id" = ? and "seq" = ? and "hash" = ?`);
  const begin = db.prepare('begin immediate');
  const savepoint = db.prepare('savepoint floor');
  const release = db.prepare('release floor');
  const commit = db.prepare('commit');
  // Group commit as Portico's (src/db/sqlite-group-commit.ts): the transactions of one turn of
  // the event loop share one SQLite transaction, each after the first as a savepoint.
  let group: Promise<void> | null = null;

  return {
    csrfOK(token, sent) {
      const want = hmac(ctx.keys.csrf, `contact:${sha256(token)}`);
      return typeof sent === 'string' && sent.length === want.length && Buffer.from(sent).equals(Buffer.from(want));
    },
    async verify(token, code, meta) {
      const idHash = token.slice(0, 12) + sha256(token);
      const s = session.get(idHash, 'contact') as unknown[] | undefined;
      const now = new Date();
      const nowISO = now.toISOString();
      if (!s || s[3] !== 'mfa' || s[10] === null || nowISO >= (s[6] as string)) throw new Error('floor: no pending sign-in');
      const owner = s[2] as string;
      const rows = limits.all('contact', owner, 'contact', owner, 'active', 'totp', idHash, 'sign_in') as unknown[][];
      if (rows.length === 0 || (rows[0]![0] as number) >= 5 || rows[0]![3] === 1 || (rows[0]![2] !== null && (rows[0]![2] as string) > nowISO)) throw new Error('floor: a limit is reached');
      let match: { factorID: string; step: number } | null = null;
      for (const r of rows) {
        const step = matchTOTPStep(ctx.secretBox.open(r[5] as string, r[4] as string), code, now);
        if (step !== null) {
          match = { factorID: r[4] as string, step };
          break;
        }
      }
      if (!match) throw new Error('floor: wrong code');
      const first = group === null;
      if (first) {
        begin.run();
        let committed!: () => void;
        group = new Promise<void>((resolve) => (committed = resolve));
        setImmediate(() => {
          commit.run();
          group = null;
          committed();
        });
      } else savepoint.run();
      const done = group!;
      mfaState.get('contact', owner);
      if (replayGuard.run(match.step, nowISO, match.factorID, 'active', match.step).changes !== 1) throw new Error('floor: replayed code');
      dropChallenge.run(idHash, 'sign_in', 5);
      const newToken = now.getTime().toString(16).padStart(12, '0') + generateToken();
      const moved = moveSession.run(newToken.slice(0, 12) + sha256(newToken), 'full', nowISO, nowISO, new Date(now.getTime() + 14 * DAY).toISOString(), nowISO, meta.ip, meta.userAgent, idHash, 'contact', owner, '1970-01-01T00:00:00.000Z');
      if (moved.changes !== 1) throw new Error('floor: the session moved');
      const [headSeq, headHash] = auditHead.get() as [number, string];
      const seq = headSeq + 1;
      const id = generateID('ev', now);
      const details = JSON.stringify({ secondStep: 'totp', factorId: match.factorID, rememberedDevice: false });
      const row = [seq, id, nowISO, 'contact', owner, owner, null, 'auth.login.succeeded', null, null, meta.ip, meta.userAgent, details] as const;
      const hash = hmac(ctx.keys.audit, `${headHash}\n${JSON.stringify(row)}`);
      auditInsert.run(...row, headHash, hash);
      moveHead.run(seq, hash, 1, headSeq, headHash);
      if (!first) release.run();
      await done;
      return { token: newToken, csrfToken: hmac(ctx.keys.csrf, `contact:${sha256(newToken)}`) };
    },
  };
}
