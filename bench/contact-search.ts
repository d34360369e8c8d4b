/**
 * Contact search at scale: inserts N contacts (default 1,000,000) with realistic names and
 * emails, then measures GET /api/v1/contacts?query=… over real HTTP for a realistic mix of
 * searches, on SQLite and PostgreSQL (its own schema, dropped afterwards). Target p95 <= 50 ms.
 *
 *   npx tsx bench/contact-search.ts [--count 1000000] [--requests 600] [--db sqlite,postgres]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import pino from 'pino';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import { loadConfig } from '../src/config.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { buildApp } from '../src/app.js';
import { createStaffWithPassword } from '../src/accounts/staff.js';
import { startSession } from '../src/sessions/service.js';
import { COOKIES } from '../src/http/cookies.js';
import { describeMachine, percentile, printTable } from './machine.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000000' },
    requests: { type: 'string', default: '700' },
    db: { type: 'string', default: 'sqlite,postgres' },
    pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
  },
});
const COUNT = Number(values.count);
const REQUESTS = Number(values.requests);

const FIRST = 'James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty Anthony Sandra Mark Margaret Donald Ashley Steven Kimberly Andrew Emily Paul Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Melissa George Deborah Timothy Stephanie Ronald Rebecca Jason Sharon Edward Laura Jeffrey Cynthia Ryan Dorothy Jacob Amy Gary Kathleen Nicholas Angela Eric Shirley Jonathan Emma Stephen Brenda Larry Pamela Justin Nicole Scott Anna Brandon Samantha Benjamin Katherine Samuel Christine Gregory Debra Alexander Rachel Patrick Carolyn Frank Janet Raymond Maria Jack Olivia Dennis Heather Jerry Helen Tyler Catherine Aaron Diane Jose Julie Adam Victoria Nathan Joyce Henry Lauren Zachary Kelly Douglas Christina Peter Ruth Kyle Joan Noah Virginia Ethan Judith Jeremy Evelyn Walter Hannah Christian Andrea Keith Megan Roger Cheryl Terry Jacqueline Austin Madison Sean Teresa Gerald Abigail Carl Sophia Harold Martha Dylan Sara Arthur Gloria Lawrence Janice Jordan Kathryn Jesse Ann Bryan Isabella Billy Judy Bruce Charlotte Gabriel Julia Joe Grace Logan Amber Alan Alice Juan Jean Albert Denise Willie Frances Elijah Danielle Wayne Marilyn Randy Natalie Vincent Beverly Mason Diana Roy Brittany Ralph Theresa Bobby Kayla Russell Alexis Bradley Doris Philip Lori Eugene Tiffany'.split(' ');
const LAST = 'Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce Vazquez Hansen Peters Santos Hart Bradley Knight Elliott Cunningham Duncan Armstrong Hudson Carroll Lane Riley Andrews Alvarado Ray Delgado Berry Perkins Hoffman Johnston Matthews Pena Richards Contreras Willis Carpenter Lawrence Sandoval Guerrero George Chapman Rios Estrada Ortega Watkins Greene Nunez Wheeler Valdez Harper Burke Larson Santiago Maldonado Morrison Franklin Carlson Austin Dominguez Carr Lawson Jacobs Obrien Lynch Singh Vega Bishop Montgomery Oliver Jensen Harvey Williamson Gilbert Dean Sims Espinoza Howell Li Wong Reid Hanson Le McCoy Garrett Burton Fuller Wang Weber Welch Rojas Lucas Marquez Fields Park Yang Little Banks Padilla Day Walsh Bowman Schultz Luna Fowler Mejia Davidson Acosta Brewer May Holland Juarez Newman Pearson Curtis Cortez Douglas Schneider Joseph Barrett Navarro Figueroa Keller Avila Wade Molina Stanley Hopkins Campos Barnett Bates Chambers Caldwell Beck Lambert Miranda Byrd Craig Ayala Lowe Frazier Powers Neal Leonard Gregory Carrillo Sutton Fleming Rhodes Shelton Schwartz Norris Jennings Watts Duran Walters Cohen McDaniel Moran Parks Steele Vaughn Becker Holt Deleon Barker Terry Hale Leon Hail Benson Haynes Horton Miles Lyons Pham Graves Bush Thornton Wolfe Warner Cabrera McKinney Mann Zimmerman Dawson Lara Fletcher Page McCarthy Love Robles Cervantes Solis Erickson Reeves Chang Klein Salinas Fuentes Baldwin Daniel Simon Velasquez Hardy Higgins Aguirre Lin Cummings Chandler Sharp Barber Bowen Ochoa Dennis Robbins Liu Ramsey Francis Griffith Paul Blair Oconnor Cardenas Pacheco Cross Calderon Quinn Moss Swanson Chan Rivas Khan Rodgers Serrano Fitzgerald Rosales Stevenson Christensen Manning Gill Curry McKenzie Zuniga'.split(' ');
const DOMAINS = ['gmail.com', 'yahoo.com', 'outlook.com', 'hotmail.com', 'icloud.com', 'proton.me', 'acme-corp.com', 'globex.io', 'initech.net', 'umbrella.org', 'fastmail.fm', 'example.co.uk'];

/** A deterministic pseudo-random person for row i. */
function person(i: number): { name: string; email: string } {
  let x = Math.imul(i + 1, 2654435761) >>> 0;
  const f = FIRST[x % FIRST.length];
  x = Math.imul(x ^ (x >>> 15), 2246822519) >>> 0;
  const l = LAST[x % LAST.length];
  x = Math.imul(x ^ (x >>> 13), 3266489917) >>> 0;
  const d = DOMAINS[x % DOMAINS.length];
  const style = x % 4;
  const local = style === 0 ? `${f}.${l}` : style === 1 ? `${f[0]}${l}` : style === 2 ? `${f}${l[0]}` : `${l}.${f}`;
  return { name: `${f} ${l}`, email: `${local.toLowerCase()}${i}@${d}` };
}

async function bulkInsert(rt: Runtime, count: number): Promise<number> {
  const started = performance.now();
  const now = new Date('2025-01-01T00:00:00Z').getTime();
  const BATCH = 10_000;
  if (rt.ctx.dialect === 'sqlite') {
    // Raw better-sqlite3 for speed; the FTS triggers index each row as the app would.
    const file = rt.ctx.config.databaseURL.slice('sqlite:'.length);
    const raw = new SQLite(file);
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = OFF');
    const insert = raw.prepare('INSERT INTO contacts (id, email, name, password_hash, email_verified_at, created_at, updated_at) VALUES (?, ?, ?, NULL, ?, ?, ?)');
    const batch = raw.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const p = person(i);
        const at = new Date(now + i * 1000).toISOString();
        insert.run(`ct_${(now + i * 1000).toString(16).padStart(12, '0')}${i.toString(36).padStart(16, '0')}`, p.email, p.name, at, at, at);
      }
    });
    for (let from = 0; from < count; from += BATCH) batch(from, Math.min(count, from + BATCH));
    raw.exec('ANALYZE');
    raw.close();
  } else {
    // Load without the search indexes, then build them once, as a restore would. (Their
    // definitions are read before they are dropped: an earlier version dropped the trigram
    // index first and so measured PostgreSQL without it.)
    const indexes = await sql<{ indexdef: string; indexname: string }>`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'contacts' AND schemaname = current_schema() AND (indexname LIKE 'contacts_search%' OR indexname LIKE 'contacts_%_prefix')`.execute(rt.ctx.db);
    if (!indexes.rows.some((ix) => ix.indexname === 'contacts_search_trgm')) throw new Error('contacts_search_trgm is missing');
    for (const ix of indexes.rows) await sql.raw(`DROP INDEX ${ix.indexname}`).execute(rt.ctx.db);
    for (let from = 0; from < count; from += BATCH) {
      const ids: string[] = [];
      const emails: string[] = [];
      const names: string[] = [];
      const ats: string[] = [];
      for (let i = from; i < Math.min(count, from + BATCH); i++) {
        const p = person(i);
        ids.push(`ct_${(now + i * 1000).toString(16).padStart(12, '0')}${i.toString(36).padStart(16, '0')}`);
        emails.push(p.email);
        names.push(p.name);
        ats.push(new Date(now + i * 1000).toISOString());
      }
      await sql`INSERT INTO contacts (id, email, name, password_hash, email_verified_at, created_at, updated_at)
        SELECT id, email, name, NULL, at, at, at FROM unnest(${ids}::text[], ${emails}::text[], ${names}::text[], ${ats}::text[]) AS u(id, email, name, at)`.execute(rt.ctx.db);
    }
    for (const ix of indexes.rows) await sql.raw(ix.indexdef).execute(rt.ctx.db);
    await sql`ANALYZE contacts`.execute(rt.ctx.db);
    console.log(`postgres: rebuilt ${indexes.rows.map((ix) => ix.indexname).join(', ')}`);
  }
  return (performance.now() - started) / 1000;
}

interface Case {
  kind: string;
  query: () => string;
}

function cases(count: number): Case[] {
  const pick = () => person(Math.floor(Math.random() * count));
  const pickOf = <T,>(a: T[]) => a[Math.floor(Math.random() * a.length)];
  return [
    { kind: 'exact email', query: () => `query=${encodeURIComponent(pick().email)}` },
    { kind: 'part of an email', query: () => `query=${encodeURIComponent(pick().email.split('@')[0].slice(0, 7))}` },
    { kind: 'email domain', query: () => `query=${encodeURIComponent('@' + pickOf(DOMAINS))}` },
    { kind: 'surname', query: () => `query=${encodeURIComponent(pickOf(LAST))}` },
    { kind: 'first name', query: () => `query=${encodeURIComponent(pickOf(FIRST).toLowerCase())}` },
    { kind: 'full name', query: () => `query=${encodeURIComponent(pick().name)}` },
    { kind: '2-letter prefix', query: () => `query=${pickOf(['jo', 'ma', 'sm', 'zu', 'qu', 'xi', 'ab', 'ch', 'le', 'yo'])}` },
    { kind: 'no match', query: () => `query=zzqx${Math.floor(Math.random() * 1000)}` },
    { kind: 'no query', query: () => '' },
    { kind: 'no query, page 2 by cursor', query: () => `cursor=${Math.floor(count * (0.2 + Math.random() * 0.8))}` },
    { kind: 'surname, next page', query: () => `query=${encodeURIComponent(pickOf(LAST))}&cursor=${Math.floor(count * (0.5 + Math.random() * 0.5))}` },
  ];
}

async function runOn(db: 'sqlite' | 'postgres'): Promise<Array<Array<string | number>>> {
  const dir = mkdtempSync(join(tmpdir(), 'portico-bench-search-'));
  const schema = `bench_search_${randomBytes(4).toString('hex')}`;
  const config = loadConfig({
    PORTICO_DATA_DIR: dir,
    DATABASE_URL: db === 'postgres' ? values.pg! : `sqlite:${join(dir, 'portico.db')}`,
    PORTICO_SECRET_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'silent',
  });
  const rt = await createRuntime(config, {
    log: pino({ level: 'silent' }) as unknown as FastifyBaseLogger,
    transport: { async send() {}, close() {} },
    deliverMail: false,
    database: db === 'postgres' ? { schema } : undefined,
  });
  const rows: Array<Array<string | number>> = [];
  try {
    const insertSeconds = await bulkInsert(rt, COUNT);
    console.log(`${db}: inserted ${COUNT.toLocaleString('en')} contacts in ${insertSeconds.toFixed(1)} s (${Math.round(COUNT / insertSeconds).toLocaleString('en')}/s)`);
    const app = await buildApp(rt.ctx, { logger: false, webDir: null });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    try {
      const agent = await createStaffWithPassword(rt.ctx, { email: 'bench@example.com', name: 'Bench', role: 'agent', password: 'bench password 1' });
      const { token } = await startSession(rt.ctx, rt.ctx.db, 'staff', agent.id, 'full', { ip: null, userAgent: null });
      const cookie = `${COOKIES.staff}=${token}`;
      const all = cases(COUNT);
      const timings = new Map<string, number[]>(all.map((c) => [c.kind, []]));
      const everything: number[] = [];
      const get = async (q: string) => {
        const t0 = performance.now();
        const r = await fetch(`${base}/api/v1/contacts?limit=50&${q}`, { headers: { cookie } });
        const body = (await r.json()) as { items: unknown[] };
        if (r.status !== 200 || !Array.isArray(body.items)) throw new Error(`GET ?${q} answered ${r.status}`);
        return performance.now() - t0;
      };
      for (let i = 0; i < 30; i++) await get(all[i % all.length].query()); // warm up
      // One request at a time, as staff typing in a search box do; mixed kinds in random order.
      for (let i = 0; i < REQUESTS; i++) {
        const c = all[Math.floor(Math.random() * all.length)];
        const ms = await get(c.query());
        timings.get(c.kind)!.push(ms);
        everything.push(ms);
      }
      const row = (kind: string, t: number[]) => {
        const s = [...t].sort((a, b) => a - b);
        return [db, kind, s.length, percentile(s, 50).toFixed(1), percentile(s, 95).toFixed(1), percentile(s, 99).toFixed(1), s[s.length - 1].toFixed(1)];
      };
      for (const c of all) rows.push(row(c.kind, timings.get(c.kind)!));
      rows.push(row('ALL (mix)', everything));
    } finally {
      await app.close();
    }
  } finally {
    await rt.close();
    rmSync(dir, { recursive: true, force: true });
    if (db === 'postgres') {
      const c = new pg.Client({ connectionString: values.pg });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await c.end();
    }
  }
  return rows;
}

const results: Array<Array<string | number>> = [];
for (const db of values.db!.split(',') as Array<'sqlite' | 'postgres'>) results.push(...(await runOn(db)));
console.log(`\nGET /api/v1/contacts over HTTP, ${COUNT.toLocaleString('en')} contacts, ms (target p95 <= 50 ms)`);
printTable(['db', 'search', 'n', 'p50', 'p95', 'p99', 'max'], results);
console.log(describeMachine());
