/**
 * Field paths of a scenario, as a sweep file names them: `users.mobility.speedMps`,
 * `timing.backhaul.delayMs`, `topology.bsPositionsM[1]`. A path is checked against the zod
 * scenario schema itself (so it can never drift from what the loader accepts): every segment
 * must exist in some variant of the schema at that point (a discriminated union such as the
 * mobility model offers the fields of all its variants), and a value for the path is checked
 * against the schema of the field it ends at. Getting and setting by path on plain objects is
 * here too. Pure: no I/O.
 */
import type { z } from 'zod';

export type PathSegment = string | number;

/** Why a path string is malformed, or its segments. */
export function parsePath(text: string): { segments: PathSegment[] } | { problem: string } {
  if (text.trim() !== text || text === '') return { problem: 'a field path must not be empty or have spaces around it' };
  const segments: PathSegment[] = [];
  const re = /([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|(\.)/y;
  let expectName = true;
  let i = 0;
  while (i < text.length) {
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) return { problem: `cannot read the field path at "${text.slice(i)}": write fields joined by dots, list items as [index] (e.g. users.mobility.speedMps)` };
    if (m[1] !== undefined) {
      if (!expectName) return { problem: `a "." is missing before "${m[1]}"` };
      segments.push(m[1]);
      expectName = false;
    } else if (m[2] !== undefined) {
      if (expectName) return { problem: `"[${m[2]}]" must follow a field name` };
      segments.push(Number(m[2]));
    } else {
      if (expectName) return { problem: 'a field name is missing around a "."' };
      expectName = true;
    }
    i = re.lastIndex;
  }
  if (expectName) return { problem: 'the field path ends with "."' };
  return { segments };
}

/** `a.b[2].c` */
export function pathText(segments: readonly PathSegment[]): string {
  let out = '';
  for (const p of segments) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out;
}

type AnySchema = z.ZodType;
interface Def {
  type: string;
  innerType?: AnySchema;
  in?: AnySchema;
  out?: AnySchema;
  shape?: Record<string, AnySchema>;
  options?: AnySchema[];
  element?: AnySchema;
  items?: AnySchema[];
  rest?: AnySchema | null;
  valueType?: AnySchema;
}

const defOf = (s: AnySchema): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The schemas a value may take at this point: wrappers (default, optional, …) removed, unions spread. */
function alternatives(s: AnySchema): AnySchema[] {
  const d = defOf(s);
  switch (d.type) {
    case 'default':
    case 'prefault':
    case 'optional':
    case 'nullable':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return alternatives(d.innerType!);
    case 'pipe':
      // A transform's input side is what a YAML file writes.
      return alternatives(d.in!);
    case 'union':
      return d.options!.flatMap(alternatives);
    default:
      return [s];
  }
}

/** The children of one alternative at `seg`. */
function child(s: AnySchema, seg: PathSegment): AnySchema | undefined {
  const d = defOf(s);
  if (typeof seg === 'string') {
    if (d.type === 'object') return d.shape![seg];
    if (d.type === 'record') return d.valueType;
    return undefined;
  }
  if (d.type === 'array') return d.element;
  if (d.type === 'tuple') return seg < d.items!.length ? d.items![seg] : (d.rest ?? undefined);
  return undefined;
}

/** Field names offered at a point (for "known fields" in messages). */
function fieldNames(options: AnySchema[]): string[] {
  const names = new Set<string>();
  for (const o of options) {
    const d = defOf(o);
    if (d.type === 'object') for (const k of Object.keys(d.shape!)) names.add(k);
  }
  return [...names];
}

export type PathLookup = { ok: true; schemas: AnySchema[] } | { ok: false; at: number; problem: string };

/**
 * The schemas (one per union variant that has it) of the field at `segments`, or where the path
 * leaves the schema and why.
 */
export function schemaAt(root: AnySchema, segments: readonly PathSegment[]): PathLookup {
  let current = [root];
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    const options = current.flatMap(alternatives);
    const next = options.map((o) => child(o, seg)).filter((x): x is AnySchema => x !== undefined);
    if (!next.length) {
      const here = i === 0 ? 'a scenario' : pathText(segments.slice(0, i));
      if (typeof seg === 'number') return { ok: false, at: i, problem: `${here} is not a list: "[${seg}]" does not apply` };
      const known = fieldNames(options);
      const where = i === 0 ? 'a scenario has no field' : `${here} has no field`;
      return { ok: false, at: i, problem: known.length ? `${where} "${seg}" (its fields: ${known.join(', ')})` : `${here} is a single value: it has no field "${seg}"` };
    }
    current = next;
  }
  return { ok: true, schemas: current };
}

/** The first issue of a value against the alternatives of a field, or undefined when one accepts it. */
export function checkValue(schemas: readonly AnySchema[], value: unknown): z.core.$ZodIssue | undefined {
  let first: z.core.$ZodIssue | undefined;
  for (const s of schemas) {
    const r = s.safeParse(value, { reportInput: true });
    if (r.success) return undefined;
    first ??= r.error.issues[0];
  }
  return first;
}

/** The value at `segments`, or undefined. */
export function getAt(obj: unknown, segments: readonly PathSegment[]): unknown {
  let v = obj;
  for (const seg of segments) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

/**
 * Sets `value` at `segments` in `obj` (mutated): missing mappings on the way are created; a list
 * index must exist or be the next one. Returns why it cannot, or undefined.
 */
export function setAt(obj: Record<string, unknown>, segments: readonly PathSegment[], value: unknown): string | undefined {
  let v: unknown = obj;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    const last = i === segments.length - 1;
    const here = pathText(segments.slice(0, i)) || 'the scenario';
    if (typeof seg === 'number') {
      if (!Array.isArray(v)) return `${here} is not a list in this scenario`;
      if (seg > v.length) return `${here} has ${v.length} items: [${seg}] is past its end`;
      if (last) v[seg] = structuredClone(value);
      else {
        if (v[seg] === undefined || v[seg] === null || typeof v[seg] !== 'object') v[seg] = typeof segments[i + 1] === 'number' ? [] : {};
        v = v[seg];
      }
    } else {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return `${here} is not a mapping in this scenario`;
      const o = v as Record<string, unknown>;
      if (last) o[seg] = structuredClone(value);
      else {
        if (o[seg] === undefined || o[seg] === null || typeof o[seg] !== 'object') o[seg] = typeof segments[i + 1] === 'number' ? [] : {};
        v = o[seg];
      }
    }
  }
  return undefined;
}
