/**
 * The dashboard's two entry points into the CLI, kept out of main.ts:
 *   - `withDashboard(loaded, control, dbPath)`: the live dashboard for `isac-twin run` (when
 *     `dashboardDrawable()` and --no-dashboard is not given); it only subscribes to the twin and
 *     acts on the run through its RunControl;
 *   - `registerWatchCommand(program, result)`: `isac-twin watch <run.sqlite>`, the dashboard over
 *     a run database from another terminal (plain lines when it cannot be drawn).
 * ink and React are loaded on first use only (other commands never pay for them), in React's
 * production build (see src/dashboard/react-mode.ts).
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import isInCi from 'is-in-ci';
import type { RunControl } from '../app/run.ts';
import type { LoadedScenario } from '../scenario/validate.ts';
import { WatchError } from '../dashboard/db-source.ts';
import type { LiveDashboard, LiveDashboardOptions } from '../dashboard/live.ts';
import { preferReactProduction } from '../dashboard/react-mode.ts';

export type { LiveDashboard, LiveDashboardOptions } from '../dashboard/live.ts';

/**
 * Whether the dashboard can be drawn live: both stdin (keys) and stdout (frames) are terminals,
 * and this is not a CI job. In CI (the CI or CONTINUOUS_INTEGRATION variable set, read by ink
 * through `is-in-ci`) ink writes no frame until it unmounts, so a "dashboard" would be a blank
 * screen until the run ends; the plain progress lines are what a CI log wants.
 */
export function dashboardDrawable(io: { stdoutTty: boolean; stdinTty: boolean; inCi: boolean } = {
  stdoutTty: Boolean(process.stdout.isTTY),
  stdinTty: Boolean(process.stdin.isTTY),
  inCi: isInCi,
}): boolean {
  return io.stdoutTty && io.stdinTty && !io.inCi;
}

/**
 * Starts the live dashboard for a run about to start. Pass `attach` and `onProgress` to
 * runScenario, then `await close(summary)` before printing anything (and again in a finally:
 * it is idempotent).
 */
export async function withDashboard(loaded: LoadedScenario, control: RunControl, dbPath: string, opts: LiveDashboardOptions = {}): Promise<LiveDashboard> {
  preferReactProduction();
  const { startLiveDashboard } = await import('../dashboard/live.ts');
  return startLiveDashboard(loaded, control, dbPath, opts);
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a whole number ≥ 1, got "${value}"`);
  return n;
}

/** Adds `watch <run.sqlite>` to the program; the exit code goes to `result.code` (2: not a run database). */
export function registerWatchCommand(program: Command, result: { code: number }): void {
  program
    .command('watch')
    .description('show the dashboard of a run database: follow a run in progress, or scrub a finished one')
    .argument('<run.sqlite>', 'run database written by `isac-twin run`')
    .option('--poll-ms <n>', 'database poll period in ms', positiveInt, 250)
    .option('--plain', 'print progress lines instead of the dashboard (the default without a TTY, and in CI)')
    .action(async (file: string, o: { pollMs: number; plain?: boolean }) => {
      try {
        if (!o.plain && dashboardDrawable()) {
          preferReactProduction();
          const { watchDashboard } = await import('../dashboard/watch.ts');
          result.code = await watchDashboard(file, { pollMs: o.pollMs });
        } else {
          const { watchPlain } = await import('../dashboard/watch-plain.ts');
          result.code = await watchPlain(file, { pollMs: o.pollMs });
        }
      } catch (e) {
        if (!(e instanceof WatchError)) throw e;
        console.error(`error: ${e.message}`);
        result.code = 2;
      }
    });
}
