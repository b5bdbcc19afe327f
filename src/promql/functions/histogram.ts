/**
 * histogram_quantile() and histogram_fraction() on classic histograms: the buckets of one
 * histogram are the samples that differ only in `le` (upstream's resetHistograms). miniprom
 * stores no native histograms, so those paths of upstream's functions never run.
 */
import { parseFloatOrUndefined } from '../../golang/index.js';
import type { Labels } from '../../storage/index.js';
import { annotationText } from '../annotations.js';
import { type Expr, positionOf } from '../ast.js';
import { BUCKET_LABEL, deleteLabels, dropMetadata, labelsKey } from '../labels.js';
import { type Bucket, bucketFraction, bucketQuantile } from '../quantile.js';
import type { Vector } from '../value.js';
import { type EvalNodeHelper, type FunctionCall, scalarArg } from './types.js';

interface MetricWithBuckets {
  metric: Labels;
  buckets: Bucket[];
}

/** A bucket series' labels without `le`, by identity: the same at every step. */
const withoutLe = new WeakMap<Labels, Labels>();

/** Groups the samples into histograms by their labels without `le` (upstream's resetHistograms). */
function groupBuckets(inVec: Vector, arg: Expr, enh: EvalNodeHelper): MetricWithBuckets[] {
  enh.histograms ??= new Map();
  const groups = enh.histograms;
  for (const mb of groups.values()) mb.buckets = [];
  for (const sample of inVec) {
    const le = sample.metric[BUCKET_LABEL] ?? '';
    // As upstream: strconv.ParseFloat, so `1_0` is 10 and `0x1p3` is 8.
    const upperBound = parseFloatOrUndefined(le);
    if (upperBound === undefined) {
      enh.annos.add('warning', annotationText.badBucketLabel(sample.metric.__name__ ?? '', le), positionOf(arg));
      continue;
    }
    let metric = withoutLe.get(sample.metric);
    if (!metric) {
      metric = deleteLabels(sample.metric, [BUCKET_LABEL]);
      withoutLe.set(sample.metric, metric);
    }
    const key = labelsKey(metric);
    let mb = groups.get(key);
    if (!mb) {
      mb = { metric, buckets: [] };
      groups.set(key, mb);
    }
    mb.buckets.push({ upperBound, count: sample.f });
  }
  return [...groups.values()].filter((mb) => mb.buckets.length > 0);
}

const funcHistogramQuantile: FunctionCall = (vals, args, enh) => {
  const q = scalarArg(vals, 0);
  if (Number.isNaN(q) || q < 0 || q > 1) {
    enh.annos.add('warning', annotationText.invalidQuantile(q), positionOf(args[0] as Expr));
  }
  const out: Vector = [];
  for (const mb of groupBuckets(vals[1] as Vector, args[1] as Expr, enh)) {
    const { value, forcedMonotonic } = bucketQuantile(q, mb.buckets);
    if (forcedMonotonic) {
      enh.annos.add('info', annotationText.forcedMonotonicity(mb.metric.__name__ ?? ''), positionOf(args[1] as Expr));
    }
    if (!enh.delayedNameRemoval) mb.metric = dropMetadata(mb.metric);
    out.push({ metric: mb.metric, t: 0, f: value, dropName: true });
  }
  return out;
};

const funcHistogramFraction: FunctionCall = (vals, args, enh) => {
  const lower = scalarArg(vals, 0);
  const upper = scalarArg(vals, 1);
  const out: Vector = [];
  for (const mb of groupBuckets(vals[2] as Vector, args[2] as Expr, enh)) {
    if (!enh.delayedNameRemoval) mb.metric = dropMetadata(mb.metric);
    out.push({ metric: mb.metric, t: 0, f: bucketFraction(lower, upper, mb.buckets), dropName: true });
  }
  return out;
};

export const HISTOGRAM_FUNCTIONS: Record<string, FunctionCall> = {
  histogram_quantile: funcHistogramQuantile,
  histogram_fraction: funcHistogramFraction,
};
