#!/usr/bin/env node
// The `portico` command. It runs the TypeScript sources through tsx so that there is no
// separate build step between a checkout and a running server.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
