/**
 * `isac-twin figures teacher-student` (paper 001; src/app/teacher-student-figures.ts,
 * docs/teacher-student.md §6): the CLI glue, dispatched from the `figures` command.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { jobDir, PAPER001_JOBS } from '../app/paper001-train.ts';
import { writeTeacherStudentFigures, type Tf } from '../app/teacher-student-figures.ts';

export interface TeacherStudentCliOptions {
  out: string;
  models: string;
  backend?: string;
}

/** Runs `figures teacher-student`; prints the "Done when" lines. Needs the wasm backend (conv kernels). */
export async function commandTeacherStudentFigures(o: TeacherStudentCliOptions, startBackend: (name?: string) => Promise<{ tf: Tf }>): Promise<number> {
  // nothing trained: say so before any benchmark is computed (exit 2, bad input)
  if (!PAPER001_JOBS.some((j) => existsSync(path.join(jobDir(o.models, j), 'metadata.json')))) {
    console.error(`figures teacher-student: --models ${o.models} holds no paper-001 networks (expected ${PAPER001_JOBS.map((j) => path.basename(jobDir(o.models, j))).join(', ')}; train them with scripts/paper001-train.ts)`);
    return 2;
  }
  const { tf } = await startBackend(o.backend ?? 'wasm');
  if (tf.getBackend() === 'wasm') {
    const { registerConvKernels } = await import('../learning/layers/conv.ts');
    registerConvKernels(tf);
  }
  const { lines } = await writeTeacherStudentFigures(tf, { out: o.out, modelsDir: o.models, now: () => performance.now(), log: (l) => console.log(l) });
  console.log('\n"Done when" of issue 12 (paper 001):');
  for (const l of lines) console.log(`  ${l}`);
  return 0;
}
