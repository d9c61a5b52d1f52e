// Vitest runs a file's tests back to back without returning to the event loop, so a
// run of synchronous tests is one long block of the worker's loop. The worker's calls
// to the main process (e.g. "onTaskUpdate") time out after 60 s unless their replies
// are read, and under ASan on a busy 2-core box a file's synchronous tests add up to
// more than that. One macrotask turn after each test lets those replies in.
import { afterEach } from 'vitest';

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
