// The compiled addon, loaded directly: bench scripts use its native-timed probes
// (benchKernel, benchReadBandwidth) which are not part of the public API.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const path = process.env.QUIVER_NATIVE_PATH || fileURLToPath(new URL('../build/Release/quiverdb.node', import.meta.url));
if (!existsSync(path)) throw new Error(`bench: native addon not found at ${path}; run \`npm run build:native\``);
export const addon = createRequire(import.meta.url)(path);

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
