// Metric names: the bench speaks quiverdb's names (euclidean, cosine, ip) and accepts the
// spellings used by texmex file names and ann-benchmarks' HDF5 attributes.
const ALIASES = {
  euclidean: 'euclidean', l2: 'euclidean', l2sq: 'euclidean',
  cosine: 'cosine', angular: 'cosine', cos: 'cosine',
  ip: 'ip', dot: 'ip', inner_product: 'ip', innerproduct: 'ip',
};

/** The canonical metric for a spelling, or undefined when it is not one we know. */
export function metricFromName(name) {
  if (typeof name !== 'string') return undefined;
  return ALIASES[name.trim().toLowerCase()];
}

/** Like metricFromName but throws a RangeError naming the argument. */
export function checkMetricName(name, argument = '--metric') {
  const metric = metricFromName(name);
  if (!metric) {
    throw new RangeError(`${argument}: expected one of euclidean (l2), cosine (angular), ip (dot), got ${JSON.stringify(name)}`);
  }
  return metric;
}
