/**
 * `isac-twin models list | families`: what is shipped and what each model was trained on.
 *
 * `list` reads every metadata.json under the given folders. Paper-000/004 learned beamformers
 * (format isac-twin/learned-beamformer) get a full row: family, ρ or β_s, dims, scenario and data
 * hashes, samples, epochs, best validation scores, wall time, features, and whether the validation
 * curve flattened (learning/curve-status.ts: early stopping, or a plateau over the last 20 % of
 * epochs). The other formats (paper 001's per-AP networks, paper 002's primal–dual networks) get
 * their family, dims and wall time. A folder with a metadata.json of no known format is reported as
 * unreadable (exit 1).
 */
import type { Command } from 'commander';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { curveStatus, describeCurveStatus } from '../learning/curve-status.ts';
import { familyOf } from '../learning/families.ts';
import { readMetadata, type ModelMetadata } from '../learning/model-store.ts';
import { builtinFamilies } from '../learning/policies.ts';

export function registerModelsCommand(program: Command, result: { code: number }, trainDir: string): void {
  const models = program.command('models').description('the learned models: what is shipped and what each was trained on');
  models
    .command('list')
    .description('list models (metadata.json under each directory) with family, dims, data, training and whether the validation curve flattened')
    .argument('[dirs...]', 'directories to search', ['models', trainDir])
    .action((dirs: string[]) => {
      result.code = listModels(dirs);
    });
  models
    .command('families')
    .description('the model families: layers, dimension rule, where they decide')
    .action(() => {
      for (const f of builtinFamilies().list()) {
        console.log(`${f.name.padEnd(10)} ${f.scope.padEnd(12)} ${f.summary}\n${''.padEnd(23)}layers: ${f.layerClasses.join(', ')}; dims: ${f.dimensionRule}`);
      }
      result.code = 0;
    });
}

/** The row of a learned beamformer (paper 000 / 004). */
export function beamformerRow(dir: string, m: ModelMetadata): string[] {
  const d = m.dims;
  const best = m.curve.find((c) => c.epoch === m.bestEpoch) ?? m.curve[m.curve.length - 1];
  const gnn = (m as { gnn?: { betaS: number } }).gnn;
  return [
    dir,
    familyOf(m),
    gnn ? `β_s ${gnn.betaS}` : `ρ ${m.rho}`,
    `M=${d.numBs} N_T=${d.numTxAnt} K=${d.usersPerCell} J=${d.targetsPerCell}`,
    `${m.scenario} (${m.scenarioHash.slice(0, 8)}${m.datasetHash ? `, data ${m.datasetHash.slice(0, 8)}` : ''})`,
    `${m.trainSamples} samples · seed ${m.seed}`,
    `${m.epochsDone} ep (best ${m.bestEpoch})${m.finished ? '' : ' unfinished'}`,
    best ? `val R_c ${best.valRc.toFixed(2)} R_s ${best.valRs.toFixed(2)}` : '',
    `${(m.trainingTimeS / 60).toFixed(0)} min ${m.backend}${m.features ? ` · ${m.features.mode} features` : ''}${m.snrRangeDb ? ` · SNR ${m.snrRangeDb[0]}–${m.snrRangeDb[1]} dB` : ''}`,
    `curve: ${describeCurveStatus(curveStatus(m.curve.map((c) => c.valLoss), m.stoppedBy))}`,
  ];
}

interface OtherMetadata {
  format: string;
  family?: string;
  dims?: Record<string, unknown>;
  trainingTimeS?: number;
  wallS?: number;
  backend?: string;
}

const OTHER_FORMATS = new Set(['isac-twin/paper001-nets', 'isac-twin/primal-dual', 'isac-twin/primal-dual-twin', 'isac-twin/primal-dual-exchange']);

/** The row of a paper-001 / paper-002 network (their own metadata formats). */
export function otherRow(dir: string, m: OtherMetadata): string {
  const dims = m.dims ? Object.entries(m.dims).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('×') : String(v)}`).join(' ') : '';
  const s = m.trainingTimeS ?? m.wallS;
  return [dir, m.family ?? '?', m.format.replace('isac-twin/', ''), dims, s === undefined ? '' : `${(s / 60).toFixed(0)} min ${m.backend ?? ''}`.trimEnd()].join('  ');
}

function listModels(dirs: string[]): number {
  const rows: string[][] = [];
  const others: string[] = [];
  const bad: string[] = [];
  for (const root of dirs) {
    if (!existsSync(root)) continue;
    const candidates = existsSync(path.join(root, 'metadata.json')) ? [root] : readdirSync(root).map((d) => path.join(root, d));
    for (const dir of candidates) {
      const file = path.join(dir, 'metadata.json');
      if (!existsSync(file)) continue;
      try {
        const raw = JSON.parse(readFileSync(file, 'utf8')) as OtherMetadata;
        if (OTHER_FORMATS.has(raw.format)) others.push(otherRow(dir, raw));
        else rows.push(beamformerRow(dir, readMetadata(dir)));
      } catch (e) {
        bad.push(`${dir}: ${(e as Error).message}`);
      }
    }
  }
  if (rows.length === 0 && others.length === 0 && bad.length === 0) {
    console.log(`no models under ${dirs.join(', ')}`);
    return 0;
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i].length))) ?? [];
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
  for (const o of others) console.log(o);
  for (const b of bad) console.error(`unreadable: ${b}`);
  return bad.length ? 1 : 0;
}
