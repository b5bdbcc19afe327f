/**
 * /api/v1/targets with upstream's `scrapePool` and `state` filters, and /api/v1/scrape_pools
 * (web/api/v1 targets and scrapePools at v3.5.3).
 */
import type { ApiHandler } from './http.js';
import { GoMap } from './json.js';

/** What the scrape manager shows of its targets (each entry names its `scrapePool`). */
export interface TargetsView {
  activeTargets: Array<{ scrapePool: string }>;
  droppedTargets: Array<{ scrapePool: string }>;
  /** Dropped targets per pool, when the scrape manager counts them itself. */
  droppedTargetCounts?: Record<string, number>;
}

export interface TargetSources {
  targets(): TargetsView;
  /** The scrape pools' names (one per scrape config). */
  scrapePools(): string[];
}

/** Go's sort.Strings: bytewise, which for these names is UTF-16 order. */
const sorted = (names: Iterable<string>) => [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** GET /api/v1/scrape_pools: `{ scrapePools }`, sorted. */
export function scrapePools(sources: TargetSources): ApiHandler {
  return () => ({ data: { scrapePools: sorted(sources.scrapePools()) } });
}

/**
 * GET /api/v1/targets: `state` (any case) `active`, `dropped` or `any`/empty for both; anything
 * else shows neither, as upstream. `scrapePool` keeps one pool's targets; the dropped counts stay
 * whole. Counts are `null` when dropped targets are not shown, as upstream leaves them unset.
 */
export function targets(sources: TargetSources): ApiHandler {
  return ({ form }) => {
    const pool = form.get('scrapePool');
    const state = form.get('state').toLowerCase();
    const showActive = state === '' || state === 'any' || state === 'active';
    const showDropped = state === '' || state === 'any' || state === 'dropped';
    const view = sources.targets();
    const inPool = (t: { scrapePool: string }) => pool === '' || t.scrapePool === pool;
    let counts: GoMap | null = null;
    if (showDropped) {
      const byPool = new Map<string, number>();
      if (view.droppedTargetCounts) {
        for (const [name, n] of Object.entries(view.droppedTargetCounts)) byPool.set(name, n);
      } else {
        for (const name of sources.scrapePools()) byPool.set(name, 0);
        for (const t of view.droppedTargets) byPool.set(t.scrapePool, (byPool.get(t.scrapePool) ?? 0) + 1);
      }
      counts = new GoMap([...byPool]);
    }
    return {
      data: {
        activeTargets: showActive ? view.activeTargets.filter(inPool) : [],
        droppedTargets: showDropped ? view.droppedTargets.filter(inPool) : [],
        droppedTargetCounts: counts,
      },
    };
  };
}
