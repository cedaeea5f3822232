/** docs/analysis.md documents every view and every metric the code knows. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { METRICS } from '../../src/analysis/metrics.ts';
import { VIEWS, VIEWS_SQL } from '../../src/store/views.ts';
import { execSync, openDbSync, allSync } from '../../src/store/db.ts';
import { SCHEMA_SQL } from '../../src/store/schema.ts';

const doc = readFileSync('docs/analysis.md', 'utf8');

test('every view and metric is in the guide', () => {
  for (const v of VIEWS) assert.ok(doc.includes(`\`${v.name}\``), `view ${v.name} missing from docs/analysis.md`);
  for (const m of METRICS) assert.ok(doc.includes(`\`${m.name}\``), `metric ${m.name} missing from docs/analysis.md`);
});

test('VIEWS_SQL runs on a fresh database right after SCHEMA_SQL, twice, and every view answers', async () => {
  const db = openDbSync(':memory:');
  try {
    execSync(db, SCHEMA_SQL);
    execSync(db, VIEWS_SQL);
    execSync(db, VIEWS_SQL);
    for (const v of VIEWS) assert.equal(allSync(db, `SELECT * FROM ${v.name}`), [], v.name);
  } finally {
    db.close();
  }
});

test.run();
