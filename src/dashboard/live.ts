/**
 * The dashboard of a run in this process: subscribes to the twin's streams (it never drives the
 * twin), folds them into the view model and lets the screen sample it. The keys act on the
 * run through its `RunControl` only: q → stop() (the run loop then finalises the run as
 * `interrupted`), p → togglePause(), + / − → speed.
 */
import type { Subscription } from 'rxjs';
import type { Progress, RunControl } from '../app/run.ts';
import type { LoadedScenario } from '../scenario/validate.ts';
import type { Twin } from '../sim/twin.ts';
import type { DashboardControls } from './App.tsx';
import { pace } from './format.ts';
import { nextSpeed, ViewModel, type ModelOptions, type RunInfo } from './model.ts';
import { mountDashboard, type Screen } from './screen.tsx';
import { DashboardStore } from './store.ts';

export interface LiveDashboardOptions {
  /** tfjs backend shown in the header (default 'none'). */
  backend?: string;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  stderr?: NodeJS.WriteStream;
  /** Frames per second at most (default 10). */
  maxFps?: number;
  /** Terminal size override (tests, benchmarks). */
  size?: { cols: number; rows: number };
  /** Route console.* above the dashboard (default true). */
  patchConsole?: boolean;
  model?: ModelOptions;
}

export interface LiveDashboard {
  /** Pass as RunOptions.attach: subscribes to the twin before it runs. */
  attach: (twin: Twin) => void;
  /** Pass as RunOptions.onProgress. */
  onProgress: (p: Progress) => void;
  /** Draws the final frame (with the run's outcome) and gives the terminal back. Idempotent. */
  close: (outcome?: { status: 'completed' | 'interrupted' | 'failed'; error?: string }) => Promise<void>;
  readonly model: ViewModel;
  readonly screen: Screen;
}

/** What the header and map need from a scenario. */
export function runInfoOf(loaded: LoadedScenario, backend: string, dbPath?: string): RunInfo {
  const s = loaded.scenario;
  const t = loaded.topology;
  return {
    scenario: s.name,
    policy: s.policy.name,
    seed: s.seed,
    backend,
    shadows: s.shadows.map((x) => x.name),
    slotMs: s.timing.slotMs,
    durationSlots: s.durationSlots,
    logEvery: 1,
    numBs: t.numBs,
    numUsers: t.numUsers,
    numTargets: t.numTargets,
    bsPosM: t.bsPosM,
    cellRadiusM: t.cellRadiusM,
    userBs: t.userBs,
    targetBs: t.targetBs,
    csiDelaySlots: Math.ceil(s.timing.csiFeedbackDelayMs / s.timing.slotMs - 1e-9),
    dbPath,
    kind: t.kind,
    ...(t.area ? { area: t.area } : {}),
    cpuPosM: t.cpuPosM,
  };
}

/** Controls shared by the live dashboard: the keys act on the run only through `control`. */
export function runControls(control: RunControl, model: ViewModel, changed: () => void): DashboardControls {
  const setSpeed = (dir: 1 | -1) => {
    const before = control.speed;
    const after = nextSpeed(before, dir, model.realTimeFactor());
    if (after === before) return;
    control.speed = after;
    model.setPace(after);
    model.note(`pace ${pace(before)} -> ${pace(after)}`);
    changed();
  };
  return {
    quit() {
      if (control.stopped) return;
      model.note('q: stopping; the run is kept and marked interrupted');
      control.stop();
      changed();
    },
    togglePause() {
      if (control.stopped) return;
      control.togglePause();
      model.setPaused(control.paused);
      model.note(control.paused ? 'paused' : 'resumed');
      changed();
    },
    faster: () => setSpeed(1),
    slower: () => setSpeed(-1),
  };
}

export function startLiveDashboard(loaded: LoadedScenario, control: RunControl, dbPath: string, opts: LiveDashboardOptions = {}): LiveDashboard {
  const model = new ViewModel(runInfoOf(loaded, opts.backend ?? 'none', dbPath), opts.model);
  model.setPace(control.speed);
  const store = new DashboardStore(model);
  // A key's effect is drawn at once (next tick, outside ink's input handling), not at the next frame.
  const controls = runControls(control, model, () => setImmediate(() => store.changed(true)));
  const screen = mountDashboard({
    source: store,
    controls,
    kind: 'run',
    maxFps: opts.maxFps,
    stdout: opts.stdout,
    stdin: opts.stdin,
    stderr: opts.stderr,
    size: opts.size,
    patchConsole: opts.patchConsole,
    // As fast as possible, every ms spent drawing is a ms less simulating: 4 % at most. Paced
    // or paused, the simulation leaves the CPU idle most of the time.
    budget: () => (control.speed === undefined && !control.paused ? 0.04 : 0.25),
  });
  const subs: Subscription[] = [];
  let closed = false;
  return {
    model,
    screen,
    attach(twin) {
      subs.push(
        twin.slots$.subscribe((r) => {
          model.slot(r);
          store.changed();
        }),
        twin.events$.subscribe((e) => model.event(e)),
      );
    },
    onProgress(p) {
      model.progress({ slotsDone: p.slotsDone, simulatedS: p.simulatedS, wallS: p.wallS });
      store.changed();
    },
    async close(outcome) {
      if (closed) return;
      closed = true;
      for (const s of subs) s.unsubscribe();
      const status = outcome?.status ?? (control.stopped ? 'interrupted' : model.view().fraction >= 1 ? 'completed' : 'failed');
      model.finish(status, outcome?.error);
      await screen.close();
    },
  };
}
