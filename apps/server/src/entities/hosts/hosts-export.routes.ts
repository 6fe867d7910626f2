import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { stringify } from 'csv-stringify/sync';
import yazl from 'yazl';
import type { Db } from '../../db/client.ts';
import { filterWhere, principal, type EntityDef, type ListQuery } from '../../http/crud.ts';
import { csvSelect, csvStream, exportQuery, fileResponse, keysetRows, sendFile } from '../../http/csv.ts';
import { Where } from '../../http/query.ts';
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
      const p = principal(req);
      const q = req.query as ListQuery;
      const hostWhere = () => filterWhere(hostDef, p, q);
      // Children follow the host selection (tag filters included) through a subquery with the hosts' parameters.
      const childWhere = () => {
        const hosts = hostWhere();
        const w = new Where();
        w.params.push(...hosts.params);
        return w.add(`t.host_id IN (SELECT t.id FROM hosts t ${hosts.sql()})`);
      };
      const zip = new yazl.ZipFile();
      // yazl types it as the DOM-ish NodeJS.ReadableStream; it is a stream.PassThrough.
      const output = zip.outputStream as Readable;
      const entry = (name: string, def: EntityDef, where: () => Where) =>
        // Lazy: each entry's rows are queried only when the zip reaches it.
        zip.addReadStreamLazy(name, (cb) => {
          const s = csvStream(def.csv, keysetRows(db, `${def.table} t`, csvSelect(def.csv), where));
          s.once('error', (err) => output.destroy(err));
          cb(null, s);
        });
      entry('hosts.csv', hostDef, hostWhere);
      entry('interfaces.csv', interfaceDef, childWhere);
      entry('ports.csv', portDef, childWhere);
      entry('services.csv', serviceDef, childWhere);
      zip.addBuffer(
        Buffer.from(stringify([], { header: true, columns: ifEntryCsv.columns })),
        'if_entries.csv',
      );
      zip.end();
      return sendFile(reply, 'application/zip', 'hosts-export.zip', output);
    },
  );
}
