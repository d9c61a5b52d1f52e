// The ESM entry `quiverdb`: re-exports the CommonJS build, so that `import` and
// `require` (from any entry) share one copy of the library and its classes.
export * from '../index.js';
