#!/usr/bin/env node
// Entry point of the `isac-twin` command. The sources are TypeScript; tsx compiles them on load
// (cached), so there is no separate build step between `npm install` and `npm start`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
