// The relative wording every page, the banner and the CLI share.
import { describe, expect, it } from 'vitest';
import { relativeText } from './relative-time';

const now = new Date('2026-12-02T10:00:00.000Z');
const at = (ms: number) => new Date(now.getTime() + ms);

describe('relative time', () => {
  it('a token that expires in 20 seconds reads "in 20 sec", not "just now"', () => {
    expect(relativeText(at(20_000), now)).toBe('in 20 sec');
    expect(relativeText(at(500), now)).toBe('in 1 sec');
    expect(relativeText(at(59_000), now)).toBe('in 59 sec');
  });

  it('the recent past is "just now", older times count up', () => {
    expect(relativeText(at(-20_000), now)).toBe('just now');
    expect(relativeText(at(0), now)).toBe('just now');
    expect(relativeText(at(-3 * 60_000), now)).toBe('3 min ago');
    expect(relativeText(at(-5 * 3_600_000), now)).toBe('5h ago');
  });

  it('longer times floor to the unit a person reads: 4 days 23 hours is "in 4 days"', () => {
    expect(relativeText(at((4 * 24 + 23) * 3_600_000), now)).toBe('in 4 days');
    expect(relativeText(at(90 * 60_000), now)).toBe('in 1h');
  });
});
