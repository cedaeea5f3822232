/**
 * Scenario text → validated `Scenario`. Pure: the caller reads the file. Every problem becomes a
 * `ScenarioError` naming the file, the field path and the line, e.g.
 *   scenarios/my.yaml:14:5: topology.numTxAnt: must be > 0 (got 0)
 */
import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { z } from 'zod';
import { scenarioSchema, type Scenario } from './schema.ts';

export type FieldPath = ReadonlyArray<string | number>;

export class ScenarioError extends Error {
  constructor(
    readonly file: string,
    readonly path: FieldPath,
    readonly line: number | undefined,
    readonly column: number | undefined,
    readonly problem: string,
  ) {
    const where = line === undefined ? file : `${file}:${line}:${column ?? 1}`;
    const field = path.length ? `${formatPath(path)}: ` : '';
    super(`${where}: ${field}${problem}`);
    this.name = 'ScenarioError';
  }
}

/** `a.b[2].c` */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out;
}

/** A parsed YAML document that can tell the line of any field path (for error messages). */
export class SourceMap {
  constructor(
    private readonly doc: ReturnType<typeof parseDocument>,
    private readonly lines: LineCounter,
  ) {}

  /** Line and column (1-based) of the deepest existing node on `path`; key nodes for keys. */
  locate(path: FieldPath, preferKey = false): { line: number; column: number } | undefined {
    let node: unknown = this.doc.contents;
    let offset: number | undefined = rangeStart(node);
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find((it) => keyText(it.key) === String(key));
        if (!pair) break;
        offset = rangeStart(preferKey ? pair.key : pair.value) ?? rangeStart(pair.key) ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof key === 'number' && key < node.items.length) {
        node = node.items[key];
        offset = rangeStart(node) ?? offset;
      } else break;
    }
    if (offset === undefined) return undefined;
    const pos = this.lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  }

  /** Line and column of the key `key` inside the map at `path` (unknown-field errors). */
  locateKey(path: FieldPath, key: string): { line: number; column: number } | undefined {
    return this.locate([...path, key], true);
  }
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null)?.range;
  return range ? range[0] : undefined;
}

function keyText(key: unknown): string {
  return String((key as { value?: unknown })?.value ?? key);
}

/** Parses YAML text. Syntax errors become ScenarioError with the YAML parser's line. */
export function parseYaml(text: string, file: string): { value: unknown; map: SourceMap } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const pos = lines.linePos(err.pos[0]);
    const message = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    throw new ScenarioError(file, [], pos.line, pos.col, `YAML syntax: ${message}`);
  }
  return { value: doc.toJS({ maxAliasCount: 100 }) ?? {}, map: new SourceMap(doc, lines) };
}

/** Turns the first zod issue into a ScenarioError (with a count of the rest). */
export function zodToScenarioError(
  issues: ReadonlyArray<z.core.$ZodIssue>,
  file: string,
  map: SourceMap,
  prefix: FieldPath = [],
): ScenarioError {
  const issue = issues[0];
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  const path = [...prefix, ...(issue.path as Array<string | number>)];
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0];
    const at = map.locateKey(path, key);
    return new ScenarioError(file, [...path, key], at?.line, at?.column, `unknown field "${key}"${more}`);
  }
  const at = map.locate(path);
  return new ScenarioError(file, path, at?.line, at?.column, describeIssue(issue) + more);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}${issue.input === undefined ? ' (missing)' : `, got ${typeOf(issue.input)}`}`;
    case 'too_small':
      return `must be ${issue.inclusive ? '≥' : '>'} ${String(issue.minimum)}${issue.origin === 'array' ? ' items' : ''}`;
    case 'too_big':
      return `must be ${issue.inclusive ? '≤' : '<'} ${String(issue.maximum)}${issue.origin === 'array' ? ' items' : ''}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_union': {
      const disc = (issue as { discriminator?: string }).discriminator;
      return disc ? `unknown or missing "${disc}" (${issue.message})` : issue.message;
    }
    default:
      return issue.message;
  }
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** Parses and schema-validates scenario text (no cross-field checks: see validate.ts). */
export function parseScenarioText(text: string, file: string): { scenario: Scenario; map: SourceMap } {
  const { value, map } = parseYaml(text, file);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ScenarioError(file, [], 1, 1, 'a scenario must be a YAML mapping of fields');
  }
  const result = scenarioSchema.safeParse(value, { reportInput: true });
  if (!result.success) throw zodToScenarioError(result.error.issues, file, map);
  return { scenario: result.data, map };
}
