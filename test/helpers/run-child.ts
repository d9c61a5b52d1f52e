// Runs a child process without blocking the test worker. A spawnSync or execFileSync
// of a slow child blocks the worker's event loop, and vitest's worker calls to the main
// process (e.g. "onTaskUpdate") time out after 60 s if their replies are not read.
import { spawn } from 'node:child_process';

export interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `command args`; on timeout the child gets SIGTERM (status null, as spawnSync reports it). */
export function runChild(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeout: number }): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
    child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
    const timer = setTimeout(() => child.kill('SIGTERM'), options.timeout);
    child.once('error', (err) => { clearTimeout(timer); reject(err); });
    child.once('close', (status, signal) => { clearTimeout(timer); resolve({ status, signal, stdout, stderr }); });
  });
}

/** Runs this Node binary with `args`. */
export function runNode(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeout: number }): Promise<ChildResult> {
  return runChild(process.execPath, args, options);
}
