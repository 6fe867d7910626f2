#!/usr/bin/env node
// Runs the TypeScript sources directly: the workspace has no build step, so tsx compiles on load.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
