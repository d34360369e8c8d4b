import { describe, expect, it } from 'vitest';
import { mailboxKey, sameMailbox } from './mailbox.js';

describe('sameMailbox', () => {
  it('folds case and a +tag, at any provider', () => {
    expect(sameMailbox('sam@corp.example', 'Sam+Help@Corp.Example')).toBe(true);
    expect(sameMailbox('sam+a@corp.example', 'sam+b@corp.example')).toBe(true);
    expect(sameMailbox(' sam@corp.example ', 'sam@corp.example')).toBe(true);
  });

  it('folds dots and googlemail.com at Gmail only', () => {
    expect(sameMailbox('sam.ortiz@gmail.com', 'samortiz+x@googlemail.com')).toBe(true);
    expect(sameMailbox('sam.ortiz@corp.example', 'samortiz@corp.example')).toBe(false);
  });

  it('keeps different people apart', () => {
    expect(sameMailbox('sam@corp.example', 'sam@other.example')).toBe(false);
    expect(sameMailbox('jo-ann@corp.example', 'jo@corp.example')).toBe(false);
    expect(sameMailbox('sam@corp.example', 'sammy@corp.example')).toBe(false);
    // A tag is only what follows a local part: "+x@" alone is not everyone's mailbox.
    expect(sameMailbox('+x@corp.example', '+y@corp.example')).toBe(false);
  });

  it('leaves a string without a local part as it is', () => {
    expect(mailboxKey('not-an-address')).toBe('not-an-address');
    expect(mailboxKey('@corp.example')).toBe('@corp.example');
  });
});
