// Entry of a scan worker thread started from the TypeScript sources (scan-pool.ts): a new thread has no
// TypeScript loader, so register tsx here (as bin/scanopy-daemon.js does), then serve as a worker. The daemon bundle
// needs no boot: it starts itself as the worker (main.ts).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { runScanWorker } = await import(workerData.module);
runScanWorker();
