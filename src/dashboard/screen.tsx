/**
 * Mounts the dashboard on a terminal and drives its redraws: the only place with timers. A
 * snapshot of the view model is taken and drawn at most `maxFps` times per second (leading and
 * trailing edge), whatever the rate of changes, and less often when drawing is slow: frames are
 * spaced so that drawing takes at most `budget()` of the wall time (ink spends a few ms per
 * frame measuring and diffing text; on a slow or busy machine the dashboard drops frames rather
 * than slowing the run). `instance.rerender` draws synchronously, so when the event loop is held
 * by a long simulation chunk (as fast as possible) the driver still draws from inside the change
 * notifications once a frame is overdue.
 */
import { render, type Instance } from 'ink';
import { Dashboard, type DashboardControls } from './App.tsx';
import type { DashboardSource } from './store.ts';

export interface ScreenOptions {
  source: DashboardSource;
  controls: DashboardControls;
  kind: 'run' | 'watch';
  /** Frames per second at most (default 10). */
  maxFps?: number;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  stderr?: NodeJS.WriteStream;
  /** Terminal size override (tests, benchmarks). */
  size?: { cols: number; rows: number };
  /** Route console.* above the dashboard (default true). */
  patchConsole?: boolean;
  /** Largest share of wall time spent drawing (default 0.05), read before every frame. */
  budget?: () => number;
  /** Monotonic clock (ms), default performance.now. */
  now?: () => number;
}

export interface Screen {
  /** Frames drawn so far, and the wall time spent drawing them (ms). */
  readonly frames: number;
  readonly drawMs: number;
  /** Draws the latest snapshot now, then gives the terminal back. Idempotent. */
  close(): Promise<void>;
}

export function mountDashboard(o: ScreenOptions): Screen {
  const now = o.now ?? (() => performance.now());
  const intervalMs = (o.maxFps ?? 10) > 0 ? 1000 / (o.maxFps ?? 10) : 0;
  const tree = () => <Dashboard view={o.source.getView()} controls={o.controls} kind={o.kind} size={o.size} />;
  const instance: Instance = render(tree(), {
    stdout: o.stdout ?? process.stdout,
    stdin: o.stdin ?? process.stdin,
    stderr: o.stderr ?? process.stderr,
    exitOnCtrlC: false,
    patchConsole: o.patchConsole ?? true,
    // This driver throttles; ink's own limit must only not swallow its frames.
    maxFps: 2 * (o.maxFps ?? 10),
  });
  let frames = 1;
  let drawMs = 0;
  /** Moving average of the cost of one frame (ms). */
  let costMs = 0;
  const budget = o.budget ?? (() => 0.05);
  const spacing = () => Math.max(intervalMs, costMs / Math.max(1e-3, budget()));
  let last = now();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const draw = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (closed) return;
    last = now();
    frames++;
    instance.rerender(tree());
    const dt = now() - last;
    drawMs += dt;
    costMs = costMs ? 0.8 * costMs + 0.2 * dt : dt;
  };
  const unsubscribe = o.source.subscribe((urgent) => {
    if (urgent) return draw();
    if (timer) {
      // Changes keep coming long after the timer was due: the event loop is busy with a long
      // simulation chunk, so draw now rather than when the chunk ends.
      if (now() - last > 2 * spacing()) draw();
      return;
    }
    timer = setTimeout(draw, Math.max(0, last + spacing() - now()));
  });
  return {
    get frames() {
      return frames;
    },
    get drawMs() {
      return drawMs;
    },
    async close() {
      if (closed) return;
      draw();
      closed = true;
      unsubscribe();
      const exited = instance.waitUntilExit();
      instance.unmount();
      await exited;
    },
  };
}
