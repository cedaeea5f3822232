/**
 * What `isac-twin run <scenario>` does once the dashboard hook is wired into commandRun: a tiny
 * stand-in used by the tmux end-to-end test (and by hand) until then.
 *
 *   node --import tsx test/dashboard/run-with-dashboard.ts scenarios/default.yaml \
 *     [--slots N] [--speed X] [--out run.sqlite] [--backend NAME]
 *
 * Exit code as the CLI's: 0 completed, 130 interrupted, 1 failed. Imported (e.g. by a test
 * runner matching every file of this folder) it does nothing.
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScenario, RunControl } from '../../src/app/run.ts';
import { withDashboard } from '../../src/cli/dashboard-commands.ts';
import { packageVersion, readScenario } from '../../src/cli/main.ts';
import { withOverrides } from '../../src/scenario/validate.ts';

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      slots: { type: 'string' },
      speed: { type: 'string' },
      out: { type: 'string' },
      backend: { type: 'string' },
    },
  });
  const file = positionals[0] ?? 'scenarios/default.yaml';
  const loaded = withOverrides(readScenario(file), { slots: values.slots ? Number(values.slots) : undefined });
  const dbPath = values.out ?? `/tmp/isac-dashboard-${process.pid}.sqlite`;
  const speed = values.speed ? Number(values.speed) : undefined;
  const control = new RunControl(speed);
  const onSignal = () => control.stop();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  console.log(`isac-twin ${packageVersion()} · ${loaded.scenario.name} · policy ${loaded.scenario.policy.name} · seed ${loaded.scenario.seed} → ${dbPath}`);
  const dash = await withDashboard(loaded, control, dbPath, { backend: values.backend ?? 'none' });
  let code = 1;
  try {
    const summary = await runScenario(
      loaded,
      { dbPath, packageVersion: packageVersion(), speed, attach: dash.attach, onProgress: dash.onProgress },
      control,
    );
    await dash.close(summary);
    console.log(`run ${summary.status}: ${summary.slots} slots (${summary.slotsLogged} logged) · R_c ${summary.rcMean.toFixed(4)} · database ${summary.dbPath}`);
    code = summary.status === 'completed' ? 0 : summary.status === 'interrupted' ? 130 : 1;
  } finally {
    await dash.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return code;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = await main();
