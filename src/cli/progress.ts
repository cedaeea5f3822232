/** Plain progress lines for non-interactive output (CI, pipes): at most one every 2 s or 10 %. */
import type { Progress } from '../app/run.ts';

export function plainProgress(write: (line: string) => void = (l) => console.log(l)): (p: Progress) => void {
  let lastWall = -Infinity;
  let lastPct = -1;
  return (p) => {
    const pct = Math.floor((100 * p.slotsDone) / p.durationSlots);
    const done = p.slotsDone >= p.durationSlots;
    if (!done && p.wallS - lastWall < 2 && Math.floor(pct / 10) === Math.floor(lastPct / 10)) return;
    lastWall = p.wallS;
    lastPct = pct;
    write(
      `  slot ${p.slotsDone}/${p.durationSlots} (${pct}%) · sim ${p.simulatedS.toFixed(2)} s · ${p.realTimeFactor.toFixed(1)}× real time · R_c ${p.rcMean.toFixed(3)} · R_s ${p.rsMean.toFixed(3)}`,
    );
  };
}
