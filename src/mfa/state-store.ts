import { sql, type Selectable } from 'kysely';
import type { Dialect, Executor } from '../db/index.js';
import { prepared } from '../db/prepared.js';
import type { MFAAccountsTable } from '../db/types.js';
import { takeMFAAdvisoryLock, type Owner, type OwnerKind } from './store.js';

/**
 * Second-step challenges (their tries and WebAuthn challenges) and each person's MFA state row:
 * the run of failed code checks and the locks, and the enrollment and setup flags. Factors,
 * recovery codes and remembered devices are in ./store.ts.
 */

/**
 * Opens the challenge of a sign-in that now waits for its second step, in the password step's
 * transaction: the row its tries are counted on. Tries are never counted on a row created
 * later, so once a passed second step deletes it, that sign-in has no tries left.
 */
export async function openSignInChallenge(db: Executor, sessionHash: string, expiresAt: string): Promise<void> {
  await db.insertInto('mfa_challenges').values({ session_hash: sessionHash, purpose: 'sign_in', challenge: null, attempts: 0, expires_at: expiresAt }).execute();
}

/**
 * Stores a WebAuthn challenge for a session and purpose. A sign-in's goes on the row its
 * password step opened, and only while that row is there (false once the sign-in was
 * completed or ended); a step-up's or a registration's row is created as needed.
 */
export async function putChallenge(db: Executor, sessionHash: string, purpose: 'sign_in' | 'step_up' | 'register', challenge: string | null, expiresAt: string): Promise<boolean> {
  if (purpose === 'sign_in') {
    const r = await db.updateTable('mfa_challenges').set({ challenge, expires_at: expiresAt }).where('session_hash', '=', sessionHash).where('purpose', '=', 'sign_in').executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }
  await db
    .insertInto('mfa_challenges')
    .values({ session_hash: sessionHash, purpose, challenge, expires_at: expiresAt })
    .onConflict((oc) => oc.columns(['session_hash', 'purpose']).doUpdateSet({ challenge, expires_at: expiresAt }))
    .execute();
  return true;
}

/**
 * Deletes challenge rows an hour past their expiry (housekeeping). The hour keeps a pending
 * sign-in's row, whose WebAuthn challenge may expire before the sign-in does, until the
 * sign-in is long over. Returns how many went.
 */
export async function purgeExpiredChallenges(db: Executor, before: string, now: string): Promise<number> {
  const r = await db
    .deleteFrom('mfa_challenges')
    .where('expires_at', '<', before)
    // A step-up's row holds its session's tries: it goes only once the session has ended.
    .where((eb) =>
      eb.or([
        eb('purpose', '!=', 'step_up'),
        eb.not(eb.exists(eb.selectFrom('sessions').select('sessions.id_hash').whereRef('sessions.id_hash', '=', 'mfa_challenges.session_hash').where('sessions.expires_at', '>', now))),
      ]),
    )
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/**
 * Takes a WebAuthn challenge out (single use). UPDATE … RETURNING would return the new value
 * (null), so the challenge is read first and then cleared by a conditional UPDATE naming it:
 * only the caller whose UPDATE changed the row gets it.
 */
export async function takeChallenge(db: Executor, sessionHash: string, purpose: 'sign_in' | 'step_up' | 'register', now: string): Promise<string | null> {
  const row = await db
    .selectFrom('mfa_challenges')
    .select('challenge')
    .where('session_hash', '=', sessionHash)
    .where('purpose', '=', purpose)
    .where('challenge', 'is not', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  if (!row?.challenge) return null;
  const r = await db
    .updateTable('mfa_challenges')
    .set({ challenge: null })
    .where('session_hash', '=', sessionHash)
    .where('purpose', '=', purpose)
    .where('challenge', '=', row.challenge)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1 ? row.challenge : null;
}

/**
 * Takes one try of a pending sign-in's (or a step-up's) challenge, before its code is judged:
 * one conditional write whose returned row decides, so that racing requests cannot take more
 * than `max` tries between them. A sign-in's tries are taken only on the row its password
 * step opened (an UPDATE, never an insert): after a passed second step deleted it, a request
 * that was in flight gets none. A step-up's row is created on its first try, while the
 * session is alive (not ended or expired). Returns the try's number (1 for the first), or
 * null when none was taken.
 */
const takeSignInAttemptQuery = prepared<{ sessionHash: string; max: number }, { attempts: number }>((db, p) =>
  db
    .updateTable('mfa_challenges')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('session_hash', '=', p.sessionHash)
    .where('purpose', '=', 'sign_in')
    .where('attempts', '<', p.max)
    .returning(['attempts']),
);

const takeStepUpAttemptQuery = prepared<{ sessionHash: string; max: number; now: string }, { attempts: number }>((db, p) =>
  db
    .insertInto('mfa_challenges')
    .columns(['session_hash', 'purpose', 'challenge', 'attempts', 'expires_at'])
    .expression((eb) =>
      eb
        .selectFrom('sessions')
        .select((s) => ['sessions.id_hash', s.val('step_up').as('purpose'), s.lit(null).as('challenge'), s.lit(1).as('attempts'), 'sessions.expires_at'])
        .where('sessions.id_hash', '=', p.sessionHash)
        .where('sessions.expires_at', '>', p.now),
    )
    .onConflict((oc) =>
      oc
        .columns(['session_hash', 'purpose'])
        .doUpdateSet((eb) => ({ attempts: eb('mfa_challenges.attempts', '+', 1) }))
        .where('mfa_challenges.attempts', '<', p.max),
    )
    .returning(['attempts']),
);

export async function takeChallengeAttempt(db: Executor, sessionHash: string, purpose: 'sign_in' | 'step_up', max: number, now: string): Promise<number | null> {
  const r = purpose === 'sign_in' ? await takeSignInAttemptQuery.first(db, { sessionHash, max }) : await takeStepUpAttemptQuery.first(db, { sessionHash, max, now });
  return r ? Number(r.attempts) : null;
}

/**
 * Gives back a try whose code was never judged (the request failed before). Only the latest
 * try goes back: once a later one was taken, this one stays taken.
 */
export async function returnChallengeAttempt(db: Executor, sessionHash: string, purpose: 'sign_in' | 'step_up', attempt: number): Promise<void> {
  await db
    .updateTable('mfa_challenges')
    .set({ attempts: attempt - 1 })
    .where('session_hash', '=', sessionHash)
    .where('purpose', '=', purpose)
    .where('attempts', '=', attempt)
    .execute();
}

const attemptsQuery = prepared<{ sessionHash: string; purpose: 'sign_in' | 'step_up' }, { attempts: number }>((db, p) =>
  db.selectFrom('mfa_challenges').select('attempts').where('session_hash', '=', p.sessionHash).where('purpose', '=', p.purpose),
);

/** The tries taken on a challenge, or null when it is gone (the sign-in completed or ended). */
export async function challengeAttempts(db: Executor, sessionHash: string, purpose: 'sign_in' | 'step_up'): Promise<number | null> {
  const r = await attemptsQuery.first(db, { sessionHash, purpose });
  return r ? Number(r.attempts) : null;
}

const signInLimitsQuery = prepared<{ sessionHash: string; kind: OwnerKind; id: string }, { attempts: number; failures: number | null; locked_until: string | null; hard_locked: number | null }>((db, p) =>
  db
    .selectFrom('mfa_challenges as c')
    .leftJoin('mfa_accounts as a', (j) => j.on('a.owner_kind', '=', p.kind).on('a.owner_id', '=', p.id))
    .select(['c.attempts', 'a.failures', 'a.locked_until', 'a.hard_locked'])
    .where('c.session_hash', '=', p.sessionHash)
    .where('c.purpose', '=', 'sign_in'),
);

/**
 * What limits a pending sign-in's next try, in one read: the tries its challenge has taken and
 * its owner's lock fields (`state` null when the owner has no MFA state row). Null when the
 * challenge is gone (the sign-in was completed or ended).
 */
export async function signInLimits(db: Executor, sessionHash: string, owner: Owner): Promise<SignInLimits | null> {
  const r = await signInLimitsQuery.first(db, { sessionHash, kind: owner.kind, id: owner.id });
  return r ? limitsOf(r) : null;
}

export interface SignInLimits {
  attempts: number;
  state: Pick<MFAAccount, 'failures' | 'locked_until' | 'hard_locked'> | null;
}

/** The limits in a row of the challenge left-joined with its owner's MFA state. */
function limitsOf(r: { attempts: number; failures: number | null; locked_until: string | null; hard_locked: number | null }): SignInLimits {
  const state = r.hard_locked === null ? null : { failures: Number(r.failures), locked_until: r.locked_until, hard_locked: Number(r.hard_locked) };
  return { attempts: Number(r.attempts), state };
}

const signInLimitsWithTOTPQuery = prepared<
  { sessionHash: string; kind: OwnerKind; id: string },
  { attempts: number; failures: number | null; locked_until: string | null; hard_locked: number | null; factor_id: string | null; secret_sealed: string | null }
>((db, p) =>
  db
    .selectFrom('mfa_challenges as c')
    .leftJoin('mfa_accounts as a', (j) => j.on('a.owner_kind', '=', p.kind).on('a.owner_id', '=', p.id))
    .leftJoin('mfa_factors as f', (j) => j.on('f.owner_kind', '=', p.kind).on('f.owner_id', '=', p.id).on('f.status', '=', 'active').on('f.type', '=', 'totp'))
    .select(['c.attempts', 'a.failures', 'a.locked_until', 'a.hard_locked', 'f.id as factor_id', 'f.secret_sealed'])
    .where('c.session_hash', '=', p.sessionHash)
    .where('c.purpose', '=', 'sign_in')
    .orderBy('f.created_at'),
);

/**
 * signInLimits and the owner's active authenticator apps (oldest first, id and sealed seed), in
 * one read: what an authenticator-code second step reads before judging its code. Null when
 * the challenge is gone.
 */
export async function signInLimitsWithTOTPFactors(
  db: Executor,
  sessionHash: string,
  owner: Owner,
): Promise<(SignInLimits & { factors: Array<{ id: string; secretSealed: string | null }> }) | null> {
  const rows = await signInLimitsWithTOTPQuery.all(db, { sessionHash, kind: owner.kind, id: owner.id });
  if (!rows.length) return null;
  const factors = rows.flatMap((f) => (f.factor_id === null ? [] : [{ id: f.factor_id, secretSealed: f.secret_sealed }]));
  return { ...limitsOf(rows[0]), factors };
}

const takeSignInChallengeForPassQuery = prepared<{ sessionHash: string; max: number }, never>((db, p) =>
  db.deleteFrom('mfa_challenges').where('session_hash', '=', p.sessionHash).where('purpose', '=', 'sign_in').where('attempts', '<', p.max),
);

/**
 * Ends a sign-in's challenge as its second step passes, if it still has a try left: false when
 * its tries were used up or a racing request completed or ended the sign-in. One conditional
 * delete decides. (A pending sign-in has no other challenge row.)
 */
export async function takeSignInChallengeForPass(db: Executor, sessionHash: string, max: number): Promise<boolean> {
  return (await takeSignInChallengeForPassQuery.affected(db, { sessionHash, max })) === 1;
}

const deleteChallengesQuery = prepared<{ sessionHash: string }, never>((db, p) => db.deleteFrom('mfa_challenges').where('session_hash', '=', p.sessionHash));

export async function deleteChallenges(db: Executor, sessionHash: string): Promise<void> {
  await deleteChallengesQuery.affected(db, { sessionHash });
}

/** A session renewed under a new id keeps its open challenges (a passkey registration's, say). */
export async function moveChallenges(db: Executor, fromSessionHash: string, toSessionHash: string): Promise<void> {
  await db.updateTable('mfa_challenges').set({ session_hash: toSessionHash }).where('session_hash', '=', fromSessionHash).execute();
}

// ------------------------------------------------------------------ account MFA state

export type MFAAccount = Selectable<MFAAccountsTable>;

const mfaAccountQuery = prepared<{ kind: OwnerKind; id: string }, MFAAccount>((db, p) => db.selectFrom('mfa_accounts').selectAll().where('owner_kind', '=', p.kind).where('owner_id', '=', p.id));

export async function findMFAAccount(db: Executor, owner: Owner): Promise<MFAAccount | null> {
  return (await mfaAccountQuery.first(db, { kind: owner.kind, id: owner.id })) ?? null;
}

/** Creates the state row if missing (so later conditional updates have a row to hit). */
async function ensureMFAAccount(db: Executor, owner: Owner, at: string): Promise<void> {
  await db
    .insertInto('mfa_accounts')
    .values({ owner_kind: owner.kind, owner_id: owner.id, locked_until: null, retire_factor_ids: null, updated_at: at })
    .onConflict((oc) => oc.columns(['owner_kind', 'owner_id']).doNothing())
    .execute();
}

/**
 * Holds a person's MFA state while a password step decides what comes next. On PostgreSQL: the
 * person's MFA advisory lock, which every staff action and self-service change takes first
 * (store.lockMFAOwner), then a share lock on their MFA state row (created first if missing),
 * which a bulk reset batch writes. On SQLite a transaction holds the only connection already.
 */
export async function holdMFAStateForSignIn(db: Executor, dialect: Dialect, owner: Owner, at: string): Promise<void> {
  if (dialect === 'sqlite') return;
  await takeMFAAdvisoryLock(db, owner);
  await ensureMFAAccount(db, owner, at);
  await db.selectFrom('mfa_accounts').select('owner_id').where('owner_kind', '=', owner.kind).where('owner_id', '=', owner.id).forShare().execute();
}

export async function updateMFAAccount(
  db: Executor,
  owner: Owner,
  fields: Partial<Pick<MFAAccountsTable, 'locked_until' | 'retire_factor_ids'>> & { failures?: number; hard_locked?: number; enrollment_required?: number; setup_required?: number },
  at: string,
): Promise<void> {
  await ensureMFAAccount(db, owner, at);
  await db
    .updateTable('mfa_accounts')
    .set({ ...fields, updated_at: at })
    .where('owner_kind', '=', owner.kind)
    .where('owner_id', '=', owner.id)
    .execute();
}

/**
 * Takes one code check from the account's failure counter before the code is judged: counts
 * it as the next consecutive failure, which it stays unless the code turns out right. One
 * conditional upsert decides, so racing checks cannot pass a lock between them: none is taken
 * while the second step is locked, and the check that takes failure number `lockEvery` (or
 * `hardLockAt`) sets the lock itself, so that no further check is judged while its code is.
 * Returns the account's row after the write, or null when the account is locked.
 */
const takeCodeCheckQuery = prepared<{ kind: OwnerKind; id: string; at: string; lockUntil: string; lockEvery: number; hardLockAt: number }, MFAAccount>((db, p) =>
  db
    .insertInto('mfa_accounts')
    .values({ owner_kind: p.kind, owner_id: p.id, failures: 1, locked_until: null, retire_factor_ids: null, updated_at: p.at })
    .onConflict((oc) =>
      oc
        .columns(['owner_kind', 'owner_id'])
        .doUpdateSet((eb) => ({
          failures: eb('mfa_accounts.failures', '+', 1),
          locked_until: sql<string | null>`case when (${sql.ref('mfa_accounts.failures')} + 1) % ${p.lockEvery} = 0 and ${sql.ref('mfa_accounts.failures')} + 1 < ${p.hardLockAt} then ${p.lockUntil} else ${sql.ref('mfa_accounts.locked_until')} end`,
          hard_locked: sql<number>`case when ${sql.ref('mfa_accounts.failures')} + 1 >= ${p.hardLockAt} then 1 else 0 end`,
          updated_at: p.at,
        }))
        .where('mfa_accounts.hard_locked', '=', 0)
        .where((eb) => eb.or([eb('mfa_accounts.locked_until', 'is', null), eb('mfa_accounts.locked_until', '<=', p.at)])),
    )
    .returningAll(),
);

export async function takeCodeCheck(db: Executor, owner: Owner, p: { at: string; lockUntil: string; lockEvery: number; hardLockAt: number }): Promise<MFAAccount | null> {
  return (await takeCodeCheckQuery.first(db, { kind: owner.kind, id: owner.id, ...p })) ?? null;
}

/**
 * Gives back a code check that was never judged, with the lock it set, if any. Only the latest
 * check goes back: once a later one was taken (or the counter cleared), nothing changes.
 */
export async function returnCodeCheck(db: Executor, owner: Owner, failures: number, setLock: boolean, at: string): Promise<void> {
  await db
    .updateTable('mfa_accounts')
    .set({ failures: failures - 1, ...(setLock ? { locked_until: null, hard_locked: 0 } : {}), updated_at: at })
    .where('owner_kind', '=', owner.kind)
    .where('owner_id', '=', owner.id)
    .where('failures', '=', failures)
    .execute();
}

/**
 * Lets a right code through the account's limits, in the sign-in's transaction: ends the run
 * of consecutive failures unless the second step is locked; false when it is locked. `read` is
 * the row as this transaction read it. On SQLite a transaction holds the only connection, so
 * that read still stands, and an account without failures needs no write. On PostgreSQL one
 * conditional upsert decides: it waits for a racing failure's write and re-checks the lock
 * that failure may have set.
 */
const passCodeCheckQuery = prepared<{ kind: OwnerKind; id: string; at: string }, { failures: number }>((db, p) =>
  db
    .insertInto('mfa_accounts')
    .values({ owner_kind: p.kind, owner_id: p.id, failures: 0, locked_until: null, retire_factor_ids: null, updated_at: p.at })
    .onConflict((oc) =>
      oc
        .columns(['owner_kind', 'owner_id'])
        .doUpdateSet({ failures: 0, locked_until: null, updated_at: p.at })
        .where('mfa_accounts.hard_locked', '=', 0)
        .where((eb) => eb.or([eb('mfa_accounts.locked_until', 'is', null), eb('mfa_accounts.locked_until', '<=', p.at)])),
    )
    .returning(['failures']),
);

export async function passCodeCheck(db: Executor, dialect: Dialect, owner: Owner, read: MFAAccount | null, at: string): Promise<boolean> {
  if (dialect === 'sqlite') {
    if (read && Number(read.failures) > 0) await clearFailuresQuery.affected(db, { kind: owner.kind, id: owner.id, at });
    return true;
  }
  return (await passCodeCheckQuery.first(db, { kind: owner.kind, id: owner.id, at })) !== undefined;
}

/**
 * Ends the run of consecutive failures after a passed code check (failures 0, no temporary
 * lock). A hard lock stays unless `liftHardLock` (the passed check set it as it was taken).
 */
const clearFailuresQuery = prepared<{ kind: OwnerKind; id: string; at: string }, never>((db, p) =>
  db
    .updateTable('mfa_accounts')
    .set({ failures: 0, locked_until: null, updated_at: p.at })
    .where('owner_kind', '=', p.kind)
    .where('owner_id', '=', p.id)
    .where('hard_locked', '=', 0)
    .where('failures', '>', 0),
);
const clearFailuresAndHardLockQuery = prepared<{ kind: OwnerKind; id: string; at: string }, never>((db, p) =>
  db.updateTable('mfa_accounts').set({ failures: 0, locked_until: null, hard_locked: 0, updated_at: p.at }).where('owner_kind', '=', p.kind).where('owner_id', '=', p.id).where('failures', '>', 0),
);

export async function clearFailures(db: Executor, owner: Owner, at: string, liftHardLock = false): Promise<void> {
  await (liftHardLock ? clearFailuresAndHardLockQuery : clearFailuresQuery).affected(db, { kind: owner.kind, id: owner.id, at });
}
