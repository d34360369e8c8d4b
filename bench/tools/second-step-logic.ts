/**
 * Portico's TOTP second step against the hand-written floor of the same work
 * (bench/tools/second-step-floor.ts), in one process and without HTTP, so that what differs is
 * only the code between the statements: Kysely, the layers of routes → service → store, the
 * promises, the objects. Slices of fresh pending sign-ins alternate between the two, 50 in
 * flight, each starting on a turn of its own as a request would; the figure is the main
 * thread's CPU per verification. Far steadier than the HTTP benchmark on a noisy host, since
 * both sides run in the same process a few seconds apart.
 *
 *   npx tsx bench/tools/second-step-logic.ts [--sign-ins 24000] [--slices 8]
 */
import { parseArgs } from 'node:util';
import { constantTimeEqual } from '../../src/crypto/hash.js';
import { csrfTokenFor } from '../../src/http/csrf.js';
import { totpCode } from '../../src/mfa/totp.js';
import { resolveSession } from '../../src/sessions/service.js';
import { verifySecondStep } from '../../src/mfa/second-step.js';
import { untilCommitted } from '../../src/db/index.js';
import { describeMachine } from '../machine.js';
import { openBenchDatabase } from '../bench-database.js';
import { seedPendingSignIns, type PendingSignIn } from '../pending-sign-ins.js';
import { threadCPUMicros } from '../server-process.js';
import { createFloor } from './second-step-floor.js';

const { values } = parseArgs({ options: { 'sign-ins': { type: 'string', default: '24000' }, slices: { type: 'string', default: '8' } } });
const SIGN_INS = Number(values['sign-ins']);
const SLICES = Number(values.slices);
const IN_FLIGHT = 50;

const bench = await openBenchDatabase('second-step-logic', 'sqlite', '');
try {
  const { ctx } = bench.rt;
  const meta = { ip: '127.0.0.1', userAgent: 'bench/second-step' };
  const signIns = await seedPendingSignIns(ctx, SIGN_INS, meta);
  const floor = createFloor(ctx);

  /** What the route does around verifySecondStep: the CSRF check, the session, the new CSRF token. */
  async function portico(p: PendingSignIn): Promise<void> {
    const code = totpCode(p.secret, new Date());
    if (!constantTimeEqual(csrfTokenFor(ctx, 'contact', p.token), csrfTokenFor(ctx, 'contact', p.token))) throw new Error('csrf');
    const resolved = await resolveSession(ctx, 'contact', p.token);
    if (!resolved?.account) throw new Error('no pending sign-in');
    const outcome = await verifySecondStep(ctx, resolved.session, resolved.account, { method: 'totp', code }, meta);
    await untilCommitted(ctx.db);
    csrfTokenFor(ctx, 'contact', outcome.session.token);
  }
  async function byHand(p: PendingSignIn): Promise<void> {
    const code = totpCode(p.secret, new Date());
    const sent = csrfTokenFor(ctx, 'contact', p.token);
    if (!floor.csrfOK(p.token, sent)) throw new Error('csrf');
    await floor.verify(p.token, code, meta);
  }
  const mainCPU = () => {
    const t = threadCPUMicros('self');
    return (t.get('main user') ?? 0) + (t.get('main sys') ?? 0);
  };
  async function run(f: (p: PendingSignIn) => Promise<void>, slice: PendingSignIn[]): Promise<number> {
    const before = mainCPU();
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < slice.length) {
          const p = slice[next++]!;
          await new Promise((resolve) => setImmediate(resolve));
          await f(p);
        }
      }),
    );
    return (mainCPU() - before) / slice.length;
  }

  const per = Math.floor(SIGN_INS / SLICES);
  const results = { portico: [] as number[], floor: [] as number[] };
  for (let k = 0; k < SLICES; k++) {
    const slice = signIns.slice(k * per, (k + 1) * per);
    if (k % 2 === 0) results.portico.push(await run(portico, slice));
    else results.floor.push(await run(byHand, slice));
  }
  const show = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(' / ');
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(`\nTOTP second step without HTTP, SQLite, ${IN_FLIGHT} in flight, main thread CPU per verification (µs), slices alternating`);
  console.log(`  Portico (resolveSession + verifySecondStep): ${show(results.portico)}   mean ${mean(results.portico).toFixed(0)}`);
  console.log(`  the floor of the same work, by hand:        ${show(results.floor)}   mean ${mean(results.floor).toFixed(0)}`);
  console.log(`  Portico / floor: ${(mean(results.portico) / mean(results.floor)).toFixed(2)}×`);
  console.log(describeMachine());
} finally {
  await bench.remove();
}
