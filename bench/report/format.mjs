// Number formatting shared by the terminal table and report.md.

export function fmtQps(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e4) return `${(x / 1e3).toFixed(1)}k`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(2)}k`;
  return x >= 100 ? x.toFixed(0) : x.toFixed(1);
}

export const fmtRecall = (x) => (Number.isFinite(x) ? x.toFixed(3) : '–');
export const fmtSeconds = (x) => (Number.isFinite(x) ? (x >= 10 ? x.toFixed(1) : x >= 0.1 ? x.toFixed(2) : x.toFixed(3)) : '–');
export const fmtMs = (x) => (Number.isFinite(x) ? (x >= 1 ? x.toFixed(2) : x.toFixed(3)) : '–');
export const fmtMB = (bytes) => (Number.isFinite(bytes) ? `${(bytes / 2 ** 20).toFixed(0)} MB` : '–');
export const fmtBytes = (x) => (Number.isFinite(x) ? x.toFixed(0) : '–');

export function fmtRatio(cell) {
  if (!cell || cell.ratio === null) return '–';
  const approx = cell.quiverdbBound === 'at-least' || cell.peerBound === 'at-least' ? '~' : '';
  return `${approx}${cell.ratio.toFixed(2)}x`;
}
