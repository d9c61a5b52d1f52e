// Child-process entry: measures one engine and sends the record to the parent over IPC.
// One process per engine keeps memory figures clean and engines from disturbing each other.
import { getEngine } from '../engines/index.mjs';
import { readWorkDir } from '../lib/work-dir.mjs';
import { measureEngine } from './measure.mjs';

process.once('message', async ({ engine, workDir, options }) => {
  try {
    const data = readWorkDir(workDir);
    let last = 0, lastPhase = '';
    const progress = (phase, fraction) => {
      const now = Date.now();
      if (phase === lastPhase && now - last < 200) return; // keep IPC quiet
      last = now;
      lastPhase = phase;
      process.send({ type: 'progress', phase, fraction });
    };
    const record = await measureEngine(getEngine(engine), data, { ...options, workDir }, progress);
    process.send({ type: 'result', record }, () => process.exit(0));
  } catch (error) {
    process.send({ type: 'error', message: error?.stack ?? String(error) }, () => process.exit(1));
  }
});
