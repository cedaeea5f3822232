/**
 * A job process of the sweep pool (pool.ts): runs the jobs its parent sends over IPC, one at a
 * time, and reports progress and results. Messages in: `{ type: 'run', job, placement }`,
 * `{ type: 'stop' }` (interrupt the running job). Out: `{ type: 'ready' }`, `{ type: 'progress',
 * id, slotsDone, durationSlots }`, `{ type: 'done', result }`.
 *
 * Ctrl-C in a terminal reaches every process of the group: SIGINT and SIGTERM interrupt the
 * running job (the parent decides what happens next) and do not end the process by themselves.
 * When the parent goes away (its IPC channel closes: it exited or was killed) the running job is
 * interrupted and the process exits, so no job process outlives its pool.
 */
import { RunControl } from '../app/run.ts';
import type { JobPlacement, JobSpec } from './job.ts';
import { runJob } from './runner.ts';

type Incoming = { type: 'run'; job: JobSpec; placement: JobPlacement } | { type: 'stop' };

let control: RunControl | undefined;
let orphaned = false;

const send = (m: unknown) => {
  if (process.connected) process.send!(m);
};

process.on('message', (m: Incoming) => {
  if (m.type === 'stop') {
    control?.stop();
    return;
  }
  if (m.type !== 'run') return;
  control = new RunControl();
  const { job, placement } = m;
  void runJob(job, placement, { control, onProgress: (p) => send({ type: 'progress', id: job.id, ...p }) }).then((result) => {
    control = undefined;
    send({ type: 'done', result });
    if (orphaned) process.exit(0);
  });
});

const interrupt = () => control?.stop();
process.on('SIGINT', interrupt);
process.on('SIGTERM', interrupt);
process.on('disconnect', () => {
  orphaned = true;
  if (!control) process.exit(0);
  control.stop();
  // The run stops within a slice; do not wait for ever on a stuck one.
  setTimeout(() => process.exit(1), 10000).unref();
});

send({ type: 'ready' });
