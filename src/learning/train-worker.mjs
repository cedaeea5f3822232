// Entry of the training worker threads of parallel.ts (plain JavaScript: a worker does not inherit
// the TypeScript loader, and the pool starts it with execArgv [] so that it does not get a second
// one). It registers tsx, as bin/isac-twin.js does, and serves TrainJobs with its own tfjs backend.
import { register } from 'tsx/esm/api';

register();
const { serveTrainJobs } = await import('./parallel.ts');
await serveTrainJobs();
