/** Command-line argument parsers and the scenario reader shared by every command. */
import { InvalidArgumentError } from 'commander';
import { readFileSync } from 'node:fs';
import { ScenarioError } from '../scenario/load.ts';
import { loadScenario, type LoadedScenario } from '../scenario/validate.ts';

/** A whole number ≥ min. */
export function intOption(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected a whole number ≥ ${min}, got "${value}"`);
    return n;
  };
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got "${value}"`);
  return n;
}

/** Reads and validates a scenario file; every problem is a ScenarioError naming the file. */
export function readScenario(file: string): LoadedScenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ScenarioError(file, [], undefined, undefined, code === 'ENOENT' ? 'no such file' : `cannot read (${code})`);
  }
  return loadScenario(text, file);
}
