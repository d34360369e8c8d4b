import { cpus, totalmem } from 'node:os';
import { availableParallelism } from 'node:os';

/** One line describing where a benchmark ran, printed with every result table. */
export function describeMachine(): string {
  const cpu = cpus()[0]?.model?.trim() ?? 'unknown CPU';
  const mem = (totalmem() / 2 ** 30).toFixed(1);
  return `machine: nproc=${availableParallelism()}, CPU ${cpu}, memory ${mem} GiB, Node ${process.version}, ${process.platform}; date ${new Date().toISOString()}`;
}

/** Prints rows as an aligned plain-text table. */
export function printTable(headers: string[], rows: Array<Array<string | number>>): void {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(cells[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells.slice(1)) console.log(line(r));
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}
