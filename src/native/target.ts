// The platform's name in the napi-rs scheme, which names the prebuilt package
// (`quiverdb-linux-x64-gnu`) and its binary (`quiverdb.linux-x64-gnu.node`).
// Shared by the loader and the npm install hook (dist/native-target.cjs).
import { familySync, MUSL } from 'detect-libc';

export const PACKAGE_NAME = 'quiverdb';

export interface Platform {
  platform: string;
  arch: string;
  /** Linux only: the C library, which decides between the -gnu and -musl builds. */
  libc?: 'glibc' | 'musl';
}

export function currentPlatform(): Platform {
  if (process.platform !== 'linux') return { platform: process.platform, arch: process.arch };
  return { platform: 'linux', arch: process.arch, libc: familySync() === MUSL ? 'musl' : 'glibc' };
}

/** `linux-x64-gnu`, `linux-arm64-musl`, `darwin-arm64`, `win32-x64-msvc`. */
export function targetName(p: Platform): string {
  if (p.platform === 'linux') return `linux-${p.arch}-${p.libc === 'musl' ? 'musl' : 'gnu'}`;
  if (p.platform === 'win32') return `win32-${p.arch}-msvc`;
  return `${p.platform}-${p.arch}`;
}

export function platformPackage(p: Platform): string {
  return `${PACKAGE_NAME}-${targetName(p)}`;
}

/**
 * True when the user asked for a source build: `QUIVER_BUILD_FROM_SOURCE=1`, or
 * `npm install/rebuild --build-from-source` (which npm passes on as an environment variable).
 */
export function buildFromSourceRequested(env: NodeJS.ProcessEnv): boolean {
  const truthy = (v: string | undefined) => v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
  return truthy(env.QUIVER_BUILD_FROM_SOURCE) || truthy(env.npm_config_build_from_source);
}
