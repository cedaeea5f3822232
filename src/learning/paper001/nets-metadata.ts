/** Reading the metadata.json of a paper-001 model directory (models/paper001-*): one reader for the jobs and the twin policy. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const NETS_FORMAT = 'isac-twin/paper001-nets';

/** The model's metadata, refused with a message naming the file when absent or of another format. */
export function readNetsMetadataAs<T extends { format: string }>(dir: string): T {
  const file = path.join(dir, 'metadata.json');
  if (!existsSync(file)) throw new Error(`no paper-001 networks at ${dir} (missing metadata.json)`);
  const meta = JSON.parse(readFileSync(file, 'utf8')) as T;
  if (meta.format !== NETS_FORMAT) throw new Error(`${file}: format is '${String(meta.format)}', expected '${NETS_FORMAT}'`);
  return meta;
}
