/** Reading storage back in tests: every sample of the selected series, through the Querier. */
import type { Labels, Matcher, Queryable } from '../../src/storage/index.js';

export interface ReadSeries {
  labels: Labels;
  samples: Array<{ t: number; v: number }>;
}

/** The series matching `matchers` with their samples in [mint, maxt], sorted by label set. */
export function selectAll(db: Queryable, matchers: readonly Matcher[], mint: number, maxt: number): ReadSeries[] {
  return db
    .querier(mint, maxt)
    .select(matchers)
    .map((series) => {
      const samples: Array<{ t: number; v: number }> = [];
      for (const it = series.iterator(); it.next(); ) samples.push({ t: it.t, v: it.v });
      return { labels: series.labels, samples };
    });
}
