/**
 * The live sweep display on a terminal (ink): finished jobs scroll above in <Static>, the live
 * region below holds the header, the bar with the counts and ETA, and one line per running job
 * with its slot progress (progress.ts draws the text; this only lays it out and redraws it four
 * times a second). q or Ctrl-C stops the sweep through `onStop`.
 */
import { Box, render, Static, Text, useInput, type Instance } from 'ink';
import { liveLines, type SweepProgress } from './progress.ts';

interface Props {
  lines: string[];
  finished: string[];
  onStop: () => void;
}

export function SweepScreen({ lines, finished, onStop }: Props) {
  useInput((input, key) => {
    if (input === 'q' || (key.ctrl && input === 'c')) onStop();
  });
  return (
    <>
      <Static items={finished.map((text, i) => ({ text, i }))}>{(f) => <Text key={f.i}>{f.text}</Text>}</Static>
      <Box flexDirection="column">
        {lines.map((l, i) => (
          <Text key={i} wrap="truncate">
            {l}
          </Text>
        ))}
      </Box>
    </>
  );
}

export interface SweepScreenOptions {
  progress: SweepProgress;
  header: string;
  onStop: () => void;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  /** Redraw period (ms, default 250). */
  periodMs?: number;
}

export interface MountedSweepScreen {
  /** Adds a finished job's line above the live region. */
  finished(line: string): void;
  /** Redraws now. */
  draw(): void;
  close(): Promise<void>;
}

export function mountSweepScreen(o: SweepScreenOptions): MountedSweepScreen {
  const stdout = o.stdout ?? process.stdout;
  const finished: string[] = [];
  // The live region stays below the terminal's height: ink redraws everything, finished lines
  // included, when its output fills the screen. Header, status and keys take 3 lines.
  const lines = () => liveLines(o.progress.view(), o.header, stdout.columns || 100, Math.max(1, (stdout.rows || 24) - 5));
  const tree = () => <SweepScreen lines={lines()} finished={[...finished]} onStop={o.onStop} />;
  const instance: Instance = render(tree(), { stdout, stdin: o.stdin ?? process.stdin, exitOnCtrlC: false, patchConsole: true, maxFps: 10 });
  const timer = setInterval(() => instance.rerender(tree()), o.periodMs ?? 250);
  let closed = false;
  return {
    finished(line) {
      finished.push(line);
      instance.rerender(tree());
    },
    draw: () => instance.rerender(tree()),
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      instance.rerender(tree());
      const exited = instance.waitUntilExit();
      instance.unmount();
      await exited;
    },
  };
}
