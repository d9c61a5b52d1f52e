// Small helpers shared by the engine adapters.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Float64Array [start, start+count) — quiverdb labels for rows of the base set. */
export function rowLabels(start, count) {
  const labels = new Float64Array(count);
  for (let i = 0; i < count; i++) labels[i] = start + i;
  return labels;
}

/** Copies labels (any numeric array-like, or BigUint64Array) into an Int32Array. */
export function toInt32(labels, length = labels.length) {
  const out = new Int32Array(length);
  for (let i = 0; i < length; i++) out[i] = Number(labels[i]);
  return out;
}

/**
 * The version of an installed package: the nearest package.json named `name` above its
 * resolved entry point (works when the package's "exports" hides package.json).
 */
export function packageVersion(require, name) {
  try {
    let dir = dirname(require.resolve(name));
    for (;;) {
      const file = join(dir, 'package.json');
      if (existsSync(file)) {
        const pkg = JSON.parse(readFileSync(file, 'utf8'));
        if (pkg.name === name) return pkg.version;
      }
      const parent = dirname(dir);
      if (parent === dir) return undefined;
      dir = parent;
    }
  } catch {
    return undefined;
  }
}

/**
 * quiverdb filters for the runner's allow objects (one per filter, reused across queries):
 * each prepared once as an AllowList, as a user filtering many queries the same way would
 * (labels are converted on every call otherwise). Plain labels when the build predates AllowList.
 */
export function allowListCache(AllowList) {
  const prepared = new WeakMap();
  return (allow) => {
    if (!AllowList) return allow.labels;
    if (!prepared.has(allow)) prepared.set(allow, new AllowList(allow.labels));
    return prepared.get(allow);
  };
}
