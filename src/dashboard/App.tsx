/**
 * The dashboard screen (ink): a pure view of one `DashboardView` snapshot plus the keys (the
 * driver in screen.tsx passes a new snapshot at most `maxFps` times per second). The lines come
 * from `composeScreen` (compose.ts); here they only become <Text> segments. The live region is
 * the terminal's height minus one line, so ink redraws in place and never clears the screen.
 * Lines that are final (first deadline misses, warnings, operator notes, the end of the run) go
 * to <Static>, above the live region: they stay in the terminal's scrollback.
 */
import React, { useEffect, useReducer, useRef, useState } from 'react';
import { Box, Static, Text, useInput, useStdin, useStdout } from 'ink';
import { composeScreen, LEVEL_COLOR, type Line } from './compose.ts';
import type { DashboardView } from './model.ts';
import { initialUi, layout, uiReducer } from './ui.ts';

/** What the keys drive. `scrub` exists only when looking at a database (the watch command). */
export interface DashboardControls {
  quit(): void;
  togglePause(): void;
  faster(): void;
  slower(): void;
  scrub?(to: 'back' | 'forward' | 'back-far' | 'forward-far' | 'start' | 'end'): void;
}

export interface DashboardProps {
  /** The snapshot to draw (the screen keeps no run state of its own). */
  view: DashboardView;
  controls: DashboardControls;
  /** 'run': keys drive the run; 'watch': keys drive a read-only view of a database. */
  kind?: 'run' | 'watch';
  /** Terminal size override (tests); default: the stdout's, following resizes. */
  size?: { cols: number; rows: number };
}

function useTerminalSize(override?: { cols: number; rows: number }): { cols: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ cols: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    if (override) return;
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout, override]);
  return override ?? size;
}

/**
 * One screen line. Runs of spaces become empty boxes of their width (and trailing ones are
 * left out): ink then skips them instead of styling and measuring every blank character.
 */
function ScreenLineView({ line }: { line: Line }) {
  const parts: React.ReactNode[] = [];
  let k = 0;
  const end = line.length - 1;
  line.forEach((s, i) => {
    const pieces = s.text.split(/( {4,})/);
    pieces.forEach((p, j) => {
      if (!p) return;
      if (j % 2 === 1) {
        const last = i === end && j === pieces.length - 2 && !pieces[j + 1];
        if (!last) parts.push(<Box key={k++} width={p.length} flexShrink={0} />);
      } else {
        parts.push(
          <Text key={k++} color={s.color} bold={s.bold} dimColor={s.dim}>
            {p}
          </Text>,
        );
      }
    });
  });
  return <Box height={1}>{parts}</Box>;
}

const sameLine = (a: Line, b: Line) =>
  a.length === b.length && a.every((s, k) => s.text === b[k].text && s.color === b[k].color && s.bold === b[k].bold && s.dim === b[k].dim);

/** Unchanged lines (most of the map, titles, …) are not re-rendered by React nor re-laid out by Yoga. */
const ScreenLine = React.memo(ScreenLineView, (a, b) => sameLine(a.line, b.line));

export function Dashboard({ view, controls, kind = 'run', size }: DashboardProps) {
  const { cols, rows } = useTerminalSize(size);
  const [ui, dispatch] = useReducer(uiReducer, initialUi);
  const hasCrlb = useRef(false);
  hasCrlb.current = view.hasCrlb;
  // Keys need raw mode; without a terminal on stdin the screen is view-only (no crash).
  const { isRawModeSupported } = useStdin();
  useInput((input, key) => {
    if (input === 'q' || (key.ctrl && input === 'c')) controls.quit();
    else if (input === 'p' || input === ' ') controls.togglePause();
    else if (input === '+' || input === '=') controls.faster();
    else if (input === '-' || input === '_' || input === '−') controls.slower();
    else if (key.tab) dispatch({ type: key.shift ? 'focus-prev' : 'focus-next' });
    else if (input === '?' || input === 'h') dispatch({ type: 'help' });
    else if (key.escape) dispatch({ type: 'close-help' });
    else if (key.upArrow || input === 'k') dispatch({ type: 'scroll', by: -1 });
    else if (key.downArrow || input === 'j') dispatch({ type: 'scroll', by: 1 });
    else if (key.pageUp) dispatch({ type: 'scroll', by: -5 });
    else if (key.pageDown) dispatch({ type: 'scroll', by: 5 });
    else if (input === 's') dispatch({ type: 'sens-next', hasCrlb: hasCrlb.current });
    else if (input === 'b') dispatch({ type: 'pattern-next', numBs: view.info.numBs });
    else if (controls.scrub) {
      if (key.leftArrow) controls.scrub(key.shift ? 'back-far' : 'back');
      else if (key.rightArrow) controls.scrub(key.shift ? 'forward-far' : 'forward');
      else if (input === '[') controls.scrub('back-far');
      else if (input === ']') controls.scrub('forward-far');
      else if (key.home) controls.scrub('start');
      else if (key.end) controls.scrub('end');
    }
  }, { isActive: isRawModeSupported });
  const L = layout(cols, rows, view.info.numBs);
  const lines = composeScreen(view, ui, L, kind);
  return (
    <>
      <Static items={view.notable}>
        {(l) => (
          <Text key={l.id} color={LEVEL_COLOR[l.level]}>
            {l.text}
          </Text>
        )}
      </Static>
      <Box flexDirection="column" width={L.cols} height={lines.length}>
        {lines.map((line, k) => (
          <ScreenLine key={k} line={line} />
        ))}
      </Box>
    </>
  );
}
