// Times every SQLite statement `portico serve` runs, by its SQL, and writes the totals to
// $SQLITE_STATEMENT_TIMES (default /tmp/sqlite-statement-times.txt) when the server stops.
// Preload it into the benchmark's server (bench/README.md, session 14):
//
//   BENCH_SERVER_NODE_ARGS="--require $PWD/bench/tools/sqlite-statement-times.cjs" npx tsx bench/second-step.ts
//
// Each line: calls, mean µs, total ms, SQL (first 160 characters). The wrapper's own cost
// (two clock reads a call) is included, about 0.1 µs.
'use strict';
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const Database = require(join(__dirname, '..', '..', 'node_modules', 'better-sqlite3'));

const out = process.env.SQLITE_STATEMENT_TIMES || '/tmp/sqlite-statement-times.txt';
const stats = new Map();
const record = (key, started) => {
  const micros = Number(process.hrtime.bigint() - started) / 1000;
  const s = stats.get(key) || { calls: 0, micros: 0 };
  s.calls++;
  s.micros += micros;
  stats.set(key, s);
};

const prepare = Database.prototype.prepare;
Database.prototype.prepare = function (sql, ...rest) {
  const stmt = prepare.call(this, sql, ...rest);
  const key = sql.replace(/\s+/g, ' ').slice(0, 160);
  for (const method of ['run', 'get', 'all']) {
    const f = stmt[method];
    stmt[method] = function (...args) {
      const started = process.hrtime.bigint();
      try {
        return f.apply(this, args);
      } finally {
        record(key, started);
      }
    };
  }
  return stmt;
};

let written = false;
function write() {
  if (written) return;
  written = true;
  const rows = [...stats].sort((a, b) => b[1].micros - a[1].micros);
  writeFileSync(out, rows.map(([sql, s]) => `${String(s.calls).padStart(8)} ${(s.micros / s.calls).toFixed(1).padStart(8)} µs ${(s.micros / 1000).toFixed(0).padStart(7)} ms  ${sql}`).join('\n') + '\n');
}
process.on('exit', write);
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    write();
    // Only this listener: nothing else would end the process on this signal now.
    if (process.listenerCount(signal) === 1) process.exit(0);
  });
}
