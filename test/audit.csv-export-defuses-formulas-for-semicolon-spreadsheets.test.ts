import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvCell } from '../src/audit/export.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';

/**
 * PRODUCT.md §5: the CSV export escapes formula cells. Spreadsheets set to a locale whose list
 * separator is ";" (German, French, …) split each comma-separated line at every ";" (and at line
 * breaks, quotes or not), and a quote protects only a field that begins with it. So a user agent
 * of `x;=1+1;`, sent by anyone with a failed sign-in, became a formula cell of its own in the
 * admin's spreadsheet. Read either way, no cell may begin with a formula character.
 */
let t: TestApp;
let admin: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp();
  admin = await staffWithMFA(t, 'admin');
});
afterAll(async () => {
  await t.close();
});

const FORMULA = /^[=+\-@]/;

/** The cells a ";"-separated reading of the file gives: split at ";" and line breaks. */
function semicolonCells(csv: string): string[] {
  return csv.split(/\r\n|\r|\n/).flatMap((line) => line.split(';'));
}

describe('the CSV export read by a spreadsheet that splits at ";"', () => {
  it('has no cell that starts a formula, whatever a failed sign-in sent', async () => {
    for (const ua of ['x;=1+1;', 'x; =HYPERLINK(CHAR(104)&"ttp://evil")', 'a;@SUM(A1)', 'a;+1;-1', 'a\t=1+1']) {
      const r = await t.client().post('/api/v1/auth/login', { email: 'nobody@example.com', password: 'not the password' }, { 'user-agent': ua });
      expect(r.statusCode).toBe(401);
    }
    await admin.stepUp();
    const csv = await admin.client.get('/api/v1/audit-events/export?format=csv');
    expect(csv.statusCode, csv.body).toBe(200);
    expect(csv.body).toContain('x;');
    const cells = semicolonCells(csv.body).map((c) => c.replace(/^[\s"]+/, ''));
    expect(cells.filter((c) => FORMULA.test(c))).toEqual([]);
  });

  it('defuses text after a ";", a tab or a line break inside one cell', () => {
    expect(csvCell('x;=1+1;')).toBe("x;'=1+1;");
    expect(csvCell('x; -1')).toBe("x;' -1");
    expect(csvCell('line one\n=1+1')).toBe(`"line one\n'=1+1"`);
    expect(csvCell('a\t@SUM(A1)')).toBe("a\t'@SUM(A1)");
    // Spaces before it (an import that trims them), and the full-width forms.
    expect(csvCell('  =1+1')).toBe("'  =1+1");
    expect(csvCell('\uFF1D1+1')).toBe("'\uFF1D1+1");
    expect(csvCell('\uFF20SUM(A1)')).toBe("'\uFF20SUM(A1)");
    expect(csvCell('x;\uFF0B1')).toBe("x;'\uFF0B1");
    // Text that starts no formula is left alone.
    expect(csvCell('Chrome; Linux')).toBe('Chrome; Linux');
    expect(csvCell('a;b')).toBe('a;b');
  });
});
