// Entry of the worker threads of `isac-twin figures gnn --jobs N` (plain JavaScript: a worker does
// not inherit the TypeScript loader). It registers tsx, as bin/isac-twin.js does, and loads the
// TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./gnn-worker.ts');
