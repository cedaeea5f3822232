/**
 * Scenario text → validated `Scenario`. Pure: the caller reads the file. Every problem becomes a
 * `ScenarioError` naming the file, the field path and the line, e.g.
 *   scenarios/my.yaml:14:5: topology.numTxAnt: must be > 0 (got 0)
 */
import { isMap, isSeq, LineCounter, parseDocument, visit, type Node } from 'yaml';
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

/** Most alias expansions a scenario may make (a few anchors are normal; a "billion laughs" is not). */
export const MAX_ALIAS_COUNT = 100;

/**
 * Parses YAML text. Syntax errors become ScenarioError with the YAML parser's line; so does an
 * empty file (no document: almost certainly the wrong file) and an alias bomb (nested anchors
 * expanding past MAX_ALIAS_COUNT).
 */
export function parseYaml(text: string, file: string): { value: unknown; map: SourceMap } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const pos = lines.linePos(err.pos[0]);
    const message = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    throw new ScenarioError(file, [], pos.line, pos.col, `YAML syntax: ${message}`);
  }
  if (doc.contents === null) {
    throw new ScenarioError(file, [], undefined, undefined, 'empty scenario file: write at least a name (name: my-scenario); every other field has a default');
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    if (!(e instanceof ReferenceError)) throw e;
    let at: { line: number; col: number } | undefined;
    visit(doc, {
      Alias(_key, node) {
        if (node.range) at = lines.linePos(node.range[0]);
        return visit.BREAK;
      },
    });
    const why = /excessive alias count/i.test(e.message)
      ? `YAML aliases expand to too many nodes (more than ${MAX_ALIAS_COUNT}): nested anchors like these are refused`
      : `YAML alias: ${e.message}`;
    throw new ScenarioError(file, [], at?.line, at?.col, why);
  }
  return { value: value ?? {}, map: new SourceMap(doc, lines) };
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

/** Plain-words names of zod's expected types. */
const TYPE_WORDS: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  tuple: 'a list',
  record: 'a mapping',
};

const typeWords = (t: string): string => TYPE_WORDS[t] ?? t;

/** One issue in the wording of the rest of the messages: "must be …, got …". */
export function describeIssue(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  const got = input === undefined ? '' : ` (got ${valueText(input)})`;
  switch (issue.code) {
    case 'invalid_type': {
      if (input === undefined) return `missing: must be ${typeWords(issue.expected)}`;
      if (typeof input === 'number' && Number.isNaN(input)) return `must be a number, got NaN`;
      if (typeof input === 'number' && !Number.isFinite(input)) return `must be a finite number, got ${input}`;
      if (issue.expected === 'int' && typeof input === 'number') return `must be a whole number, got ${input}`;
      return `must be ${typeWords(issue.expected)}, got ${typeOf(input)}`;
    }
    case 'too_small':
      if (issue.origin === 'string') return Number(issue.minimum) <= 1 ? 'must not be empty' : `must have at least ${String(issue.minimum)} characters`;
      if (issue.origin === 'array' || issue.origin === 'set') {
        return `must have ${issue.inclusive ? 'at least' : 'more than'} ${String(issue.minimum)} item${Number(issue.minimum) === 1 ? '' : 's'}${Array.isArray(input) ? ` (got ${input.length})` : ''}`;
      }
      return `must be ${issue.inclusive ? '≥' : '>'} ${String(issue.minimum)}${got}`;
    case 'too_big':
      if (issue.origin === 'string') return `must have at most ${String(issue.maximum)} characters`;
      if (issue.origin === 'array' || issue.origin === 'set') {
        return `must have ${issue.inclusive ? 'at most' : 'fewer than'} ${String(issue.maximum)} item${Number(issue.maximum) === 1 ? '' : 's'}${Array.isArray(input) ? ` (got ${input.length})` : ''}`;
      }
      return `must be ${issue.inclusive ? '≤' : '<'} ${String(issue.maximum)}${got}`;
    case 'invalid_value':
      return `must be ${issue.values.length === 1 ? '' : 'one of '}${issue.values.map((v) => JSON.stringify(v)).join(', ')}${got}`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}${got}`;
    case 'invalid_union': {
      const disc = (issue as { discriminator?: string }).discriminator;
      if (disc) return `unknown or missing "${disc}"${issue.message && issue.message !== 'Invalid input' ? ` (${issue.message})` : ''}`;
      if (issue.message && issue.message !== 'Invalid input') return issue.message;
      // Every branch failed at the value itself: list what each would have taken.
      const wants = issue.errors.flatMap((branch) => {
        const first = branch[0];
        if (!first || first.path.length) return [];
        if (first.code === 'invalid_type') return [typeWords(first.expected)];
        if (first.code === 'invalid_value') return first.values.map((v) => JSON.stringify(v));
        return [];
      });
      return wants.length ? `must be ${[...new Set(wants)].join(' or ')}${input === undefined ? '' : `, got ${typeOf(input)}`}` : `invalid value${got}`;
    }
    default:
      return issue.message === 'Invalid input' ? `invalid value${got}` : issue.message;
  }
}

function valueText(v: unknown): string {
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : String(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return JSON.stringify(v);
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'number') return `number ${valueText(v)}`;
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
