import { buildApp } from './app.ts';
import { testConfig } from './config.ts';
import { openDb } from './db/client.ts';

/** The generated OpenAPI document, as the running server serves it at /api/openapi.json. */
export async function generateOpenApi(): Promise<string> {
  const db = await openDb({});
  try {
    const app = await buildApp({ config: testConfig({ webDir: '/nonexistent' }), db });
    await app.ready();
    const doc = JSON.stringify(app.swagger(), null, 2) + '\n';
    await app.close();
    return doc;
  } finally {
    await db.close();
  }
}
