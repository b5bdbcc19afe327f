import { describe, expect, it } from 'vitest';
import { applyActorMoves, parseActorMoves } from '../../src/lifecycle/index.js';

const actors = ['Termination handler', 'Scrape manager', 'TSDB', 'Notifier'].map((name) => ({ name }));
const names = (items: Array<{ name: string }>) => items.map((a) => a.name);

describe('--debug.actor-order', () => {
  it('parses moves separated by commas', () => {
    expect(parseActorMoves(' TSDB before Scrape manager , Notifier after Termination handler')).toEqual([
      { actor: 'TSDB', where: 'before', anchor: 'Scrape manager' },
      { actor: 'Notifier', where: 'after', anchor: 'Termination handler' },
    ]);
    expect(() => parseActorMoves('TSDB first')).toThrow('"TSDB first": want "<actor> before <actor>"');
  });

  it('applies the moves in turn and leaves the input as it was', () => {
    const moved = applyActorMoves(
      actors,
      parseActorMoves('TSDB before Scrape manager, Termination handler after Notifier'),
    );
    expect(names(moved)).toEqual(['TSDB', 'Scrape manager', 'Notifier', 'Termination handler']);
    expect(names(actors)).toEqual(['Termination handler', 'Scrape manager', 'TSDB', 'Notifier']);
  });

  it('refuses a name this mode has no actor for, listing the actors', () => {
    expect(() => applyActorMoves(actors, parseActorMoves('TSDB before Rule manager'))).toThrow(
      'no actor named "Rule manager"; the actors are: Termination handler, Scrape manager, TSDB, Notifier',
    );
  });
});
