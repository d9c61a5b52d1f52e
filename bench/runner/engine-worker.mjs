// Child-process entry: one engine, driven by the parent over IPC. One process per engine
// keeps memory figures clean; the parent only ever lets one engine work at a time.
//   { cmd: 'setup', engine, workDir, options } -> { type: 'ready', slots } | { type: 'result', record } (unavailable)
//   { cmd: 'measure', slot, rep }              -> { type: 'measured' }
//   { cmd: 'finish' }                          -> { type: 'result', record }, then exits
import { getEngine } from '../engines/index.mjs';
import { readWorkDir } from '../lib/work-dir.mjs';
import { EngineSession } from './measure.mjs';

let session = null;
let last = 0, lastPhase = '';
const progress = (phase, fraction) => {
  const now = Date.now();
  if (phase === lastPhase && now - last < 200) return; // keep IPC quiet
  last = now;
  lastPhase = phase;
  process.send({ type: 'progress', phase, fraction });
};

async function handle(message) {
  if (message.cmd === 'setup') {
    const data = readWorkDir(message.workDir);
    session = new EngineSession(getEngine(message.engine), data, { ...message.options, workDir: message.workDir }, progress);
    const slots = await session.setup();
    if (slots) return { type: 'ready', slots };
    await session.close();
    return { type: 'result', record: session.record, exit: true };
  }
  if (message.cmd === 'measure') {
    await session.measure(message.slot, message.rep);
    return { type: 'measured' };
  }
  if (message.cmd === 'finish') {
    const record = await session.finish();
    await session.close();
    return { type: 'result', record, exit: true };
  }
  throw new Error(`unknown command ${JSON.stringify(message.cmd)}`);
}

process.on('message', async (message) => {
  try {
    const reply = await handle(message);
    process.send(reply, () => { if (reply.exit) process.exit(0); });
  } catch (error) {
    process.send({ type: 'error', message: error?.stack ?? String(error) }, () => process.exit(1));
  }
});
