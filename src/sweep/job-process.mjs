// Entry of the sweep's job processes (plain JavaScript: a child process started with fork does
// not inherit the TypeScript loader, and the pool starts it with execArgv [] so that it does not
// get a second one). It registers tsx, as bin/isac-twin.js does, and serves jobs over IPC.
import { register } from 'tsx/esm/api';

register();
await import('./job-process.ts');
