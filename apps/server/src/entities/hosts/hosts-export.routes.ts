import type { Readable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import yazl from 'yazl';
import type { EntityRepository } from '../../db/entity-repository.ts';
import { principal, scopeOf } from '../../http/crud.ts';
import { csvStream, exportQuery, fileResponse, sendFile } from '../../http/csv.ts';
import type { RouteApp } from '../../http/route-app.ts';
import type { Services } from '../../services.ts';
import { hostResource } from './hosts.routes.ts';
import { ifEntryCsv } from './hosts.repository.ts';

/** GET /hosts/export/zip: the selected hosts and their children, one CSV per kind, streamed entry by entry. */
export async function hostExportRoutes(app: RouteApp, { entities }: Services) {
  app.get(
    '/hosts/export/zip',
    {
      config: { access: 'viewer' },
      schema: {
        operationId: 'export_hosts_zip',
        tags: ['hosts'],
        querystring: exportQuery(hostResource.filterSchema ?? {}),
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
      const q = req.query;
      // Children follow the host selection (tag filters included) through a subquery.
      const hostIds = entities.hosts.repo.idsQuery(scope, q);
      const zip = new yazl.ZipFile();
      // yazl types it as the DOM-ish NodeJS.ReadableStream; it is a stream.PassThrough.
      const output = zip.outputStream as Readable;
      const entry = (name: string, repo: EntityRepository, child: boolean) =>
        // Lazy: each entry's rows are queried only when the zip reaches it.
        zip.addReadStreamLazy(name, (cb) => {
          const rows = child
            ? repo.exportRows(scope, {}, { within: (eb) => eb('t.host_id', 'in', hostIds) })
            : repo.exportRows(scope, q);
          const s = csvStream(repo.spec.csv.columns, rows);
          s.once('error', (err) => output.destroy(err));
          cb(null, s);
        });
      entry('hosts.csv', entities.hosts.repo, false);
      entry('interfaces.csv', entities.interfaces.repo, true);
      entry('ports.csv', entities.ports.repo, true);
      entry('services.csv', entities.services.repo, true);
      zip.addBuffer(
        Buffer.from(stringify([], { header: true, columns: ifEntryCsv.columns })),
        'if_entries.csv',
      );
      zip.end();
      return sendFile(reply, 'application/zip', 'hosts-export.zip', output);
    },
  );
}
