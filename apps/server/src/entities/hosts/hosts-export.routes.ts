import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { stringify } from 'csv-stringify/sync';
import yazl from 'yazl';
import type { Db } from '../../db/client.ts';
import { EntityRepository } from '../../db/entity-repository.ts';
import { principal, scopeOf, type EntityDef, type ListQuery } from '../../http/crud.ts';
import { csvStream, exportQuery, fileResponse, sendFile } from '../../http/csv.ts';
import { hostDef, ifEntryCsv, interfaceDef, portDef, serviceDef } from './hosts.defs.ts';

/** GET /hosts/export/zip: the selected hosts and their children, one CSV per kind, streamed entry by entry. */
export async function hostExportRoutes(app: FastifyInstance, opts: { db: Db }) {
  const { db } = opts;
  app.get(
    '/hosts/export/zip',
    {
      config: { access: 'viewer' },
      schema: {
        operationId: 'export_hosts_zip',
        tags: ['hosts'],
        querystring: exportQuery(hostDef.filterSchema ?? {}),
        response: {
          200: fileResponse(
            'application/zip',
            'hosts-export.zip: hosts.csv, interfaces.csv, ports.csv, services.csv, if_entries.csv',
          ),
        },
      },
    },
    async (req, reply) => {
      const scope = scopeOf(principal(req));
      const q = req.query as ListQuery;
      const repo = (def: EntityDef) => new EntityRepository(db.kysely, def.spec);
      // Children follow the host selection (tag filters included) through a subquery.
      const hostIds = repo(hostDef).idsQuery(scope, q);
      const zip = new yazl.ZipFile();
      // yazl types it as the DOM-ish NodeJS.ReadableStream; it is a stream.PassThrough.
      const output = zip.outputStream as Readable;
      const entry = (name: string, def: EntityDef, child: boolean) =>
        // Lazy: each entry's rows are queried only when the zip reaches it.
        zip.addReadStreamLazy(name, (cb) => {
          const rows = child
            ? repo(def).exportRows(scope, {}, { within: (eb) => eb('t.host_id', 'in', hostIds) })
            : repo(def).exportRows(scope, q);
          const s = csvStream(def.spec.csv.columns, rows);
          s.once('error', (err) => output.destroy(err));
          cb(null, s);
        });
      entry('hosts.csv', hostDef, false);
      entry('interfaces.csv', interfaceDef, true);
      entry('ports.csv', portDef, true);
      entry('services.csv', serviceDef, true);
      zip.addBuffer(
        Buffer.from(stringify([], { header: true, columns: ifEntryCsv.columns })),
        'if_entries.csv',
      );
      zip.end();
      return sendFile(reply, 'application/zip', 'hosts-export.zip', output);
    },
  );
}
