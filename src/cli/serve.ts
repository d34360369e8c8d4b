import type { Config } from '../config.js';
import { createRuntime } from '../runtime.js';
import { buildApp } from '../app.js';
import { ensureFirstAdminSetupLink } from '../accounts/staff.js';
import { purgeExpiredSessions } from '../sessions/service.js';
import { purgeExpiredRememberedDevices } from '../mfa/remembered-devices.js';
import { purgeExpiredChallenges } from '../mfa/sign-in.js';
import { purgeRateLimits } from '../http/rate-limit.js';
import { discardAbandonedJobs } from '../recovery/bulk-targets.js';
import { DAY } from '../clock.js';
import { boundHeapGrowth } from './heap.js';

/** `portico serve`: migrate, serve, print the first admin's setup link while there is none. */
export async function startServer(config: Config): Promise<void> {
  boundHeapGrowth();
  if (config.trustProxy === true) {
    // Every X-Forwarded-For entry is then believed, and the leftmost is whatever the client wrote.
    console.error(
      'portico: TRUST_PROXY=true believes any X-Forwarded-For header, so a client that reaches Portico can pick its own IP (per-IP limits, audit log); set TRUST_PROXY to your proxy\'s addresses or its hop count instead',
    );
  }
  const rt = await createRuntime(config);
  const { ctx } = rt;
  const app = await buildApp(ctx);
  await app.listen({ port: config.port, host: config.host });
  const setupLink = await ensureFirstAdminSetupLink(ctx);
  if (setupLink) {
    console.log(
      [
        '',
        '  Portico is running. No admin has signed in yet: open this single-use link (valid 1 hour)',
        '  to choose the first admin\'s email and password:',
        '',
        `  ${setupLink}`,
        '',
      ].join('\n'),
    );
  }
  console.log(`  Help center: ${config.publicURL}/   Console: ${config.publicURL}/admin\n`);

  const housekeeping = setInterval(() => {
    void purgeExpiredSessions(ctx).catch(() => undefined);
    void purgeExpiredRememberedDevices(ctx).catch(() => undefined);
    void purgeExpiredChallenges(ctx).catch(() => undefined);
    void purgeRateLimits(ctx, DAY).catch(() => undefined);
    void discardAbandonedJobs(ctx).catch(() => undefined);
  }, 10 * 60_000);
  housekeeping.unref();

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    ctx.log.info({ signal }, 'shutting down');
    clearInterval(housekeeping);
    await app.close();
    await rt.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}
