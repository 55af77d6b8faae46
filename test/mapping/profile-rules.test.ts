import { describe, expect, it } from 'vitest';
import { profileProblems } from '../../activities/mapping/okta-profile-rules.ts';

const base = { userName: 'ada@example.com', email: 'ada@example.com' };
const first = (profile: Record<string, unknown>) => profileProblems({ ...base, ...profile }, ['department'])[0];

describe('Okta profile rules', () => {
  it('counts lengths in code points, as Okta does', () => {
    expect(first({ firstName: '😀'.repeat(50) })).toBeUndefined();
    expect(first({ firstName: '😀'.repeat(51) })).toEqual({
      field: 'firstName',
      reason: 'is 51 characters long; at most 50 allowed',
    });
    expect(first({ firstName: 'a'.repeat(51) })).toEqual({
      field: 'firstName',
      reason: 'is 51 characters long; at most 50 allowed',
    });
    expect(first({ department: 'x'.repeat(4097) })).toEqual({
      field: 'department',
      reason: 'is 4097 characters long; at most 4096 allowed',
    });
  });

  it('refuses values below the minimum length, before looking at their shape', () => {
    expect(first({ email: 'a@b.' })).toEqual({ field: 'email', reason: 'is 4 characters long; at least 5 required' });
    expect(first({ email: '😀@b.c' })).toBeUndefined();
    expect(first({ email: '😀@😀' })).toEqual({ field: 'email', reason: 'is 3 characters long; at least 5 required' });
    expect(first({ firstName: '' })).toEqual({
      field: 'firstName',
      reason: 'is 0 characters long; at least 1 required',
    });
    expect(first({ email: 'not-an-address' })).toEqual({ field: 'email', reason: 'is not an email address' });
  });

  it('refuses control characters, undeclared attributes and values that are not strings', () => {
    expect(first({ lastName: 'Love\u0007lace' })).toEqual({ field: 'lastName', reason: 'contains control characters' });
    expect(first({ lastName: 'Love\tlace\r\n' })).toBeUndefined();
    expect(first({ badge: 'x' })).toEqual({
      field: 'badge',
      reason: 'is not a declared attribute of the identity source',
    });
    expect(first({ department: 7 })).toEqual({ field: 'department', reason: 'is not a string' });
    expect(profileProblems({ email: 'ada@example.com' }, [])).toEqual([
      { field: 'userName', reason: 'is empty; Okta needs it to create the user' },
    ]);
  });
});
