// Regenerates docs/openapi.json from the route table: `npm run openapi -w apps/server`.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../src/config.ts';
import { generateOpenApi } from '../src/openapi.ts';

const out = path.join(repoRoot, 'docs/openapi.json');
writeFileSync(out, await generateOpenApi());
console.log(`wrote ${out}`);
