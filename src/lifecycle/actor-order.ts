/**
 * The teaching switch --debug.actor-order: moves actors in the run group's add order, so a reader
 * can see what upstream's order prevents (`TSDB before Scrape manager`: storage closes while the
 * scrape loops still write their stale markers). Off by default; an option of the traced group,
 * which warns loudly when it is on. It changes only the add order, so only shutdown changes:
 * startup order comes from the latches.
 */

export interface ActorMove {
  actor: string;
  where: 'before' | 'after';
  anchor: string;
}

/** Parses `A before B, C after D` (actor names as the timeline shows them). */
export function parseActorMoves(text: string): ActorMove[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item) => {
      const match = /^(.+?)\s+(before|after)\s+(.+)$/.exec(item);
      if (!match) throw new Error(`${JSON.stringify(item)}: want "<actor> before <actor>" or "<actor> after <actor>"`);
      return { actor: match[1] as string, where: match[2] as 'before' | 'after', anchor: match[3] as string };
    });
}

/** `items` with the moves applied in turn; throws naming an actor this mode does not have. */
export function applyActorMoves<T extends { name: string }>(items: readonly T[], moves: readonly ActorMove[]): T[] {
  const order = [...items];
  const find = (name: string) => {
    const i = order.findIndex((item) => item.name === name);
    if (i < 0)
      throw new Error(`no actor named ${JSON.stringify(name)}; the actors are: ${items.map((a) => a.name).join(', ')}`);
    return i;
  };
  for (const { actor, where, anchor } of moves) {
    find(anchor); // both names must exist before anything moves
    const [moved] = order.splice(find(actor), 1) as [T];
    const at = find(anchor);
    order.splice(where === 'before' ? at : at + 1, 0, moved);
  }
  return order;
}
