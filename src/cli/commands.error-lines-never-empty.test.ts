import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config.js';
import { CLIError, errorLines } from './commands.js';

/** What Node raises when every address of a host refuses the connection (autoSelectFamily). */
function refusedEverywhere(): AggregateError {
  const inner = ['::1', '127.0.0.1'].map((address) => Object.assign(new Error(`connect ECONNREFUSED ${address}:5432`), { code: 'ECONNREFUSED', address, port: 5432 }));
  return Object.assign(new AggregateError(inner), { code: 'ECONNREFUSED' });
}

describe('the line the CLI prints for an error', () => {
  it('for an AggregateError without a message of its own, names its inner errors', () => {
    const error = refusedEverywhere();
    expect(error.message).toBe('');
    expect(errorLines(error)).toEqual(['portico: connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432']);
  });

  it('for an AggregateError whose inner errors have no message either, names their codes', () => {
    const error = new AggregateError([Object.assign(new Error(''), { code: 'ETIMEDOUT' }), Object.assign(new Error(''), { code: 'ENETUNREACH' })]);
    expect(errorLines(error)).toEqual(['portico: ETIMEDOUT; ENETUNREACH']);
  });

  it('for an AggregateError with a message, keeps it and adds the inner ones', () => {
    expect(errorLines(new AggregateError([new Error('first'), new Error('second')], 'both failed'))).toEqual(['portico: both failed: first; second']);
  });

  it('is never empty, whatever was thrown', () => {
    const nothings: unknown[] = [new Error(''), new AggregateError([]), new AggregateError([new Error(''), '']), '', undefined, null, Object.assign(new Error(''), { code: '' })];
    for (const thrown of nothings) {
      const lines = errorLines(thrown);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^portico: \S/);
    }
  });

  it('is one line even when a message holds line breaks', () => {
    expect(errorLines(new Error('first line\n  second line\r\nthird'))).toEqual(['portico: first line second line third']);
  });

  it('keeps the usual lines: a CLIError, a thrown string, a configuration with a line per problem', () => {
    expect(errorLines(new CLIError('missing --email'))).toEqual(['portico: missing --email']);
    expect(errorLines('plain words')).toEqual(['portico: plain words']);
    expect(errorLines(new ConfigError(['PORT: must be a number', 'HOST: empty']))).toEqual(['portico: configuration: PORT: must be a number', 'portico: configuration: HOST: empty']);
  });
});
