/**
 * python-zocalo's extended status fields: from the scheduler's environment (SGE as Python, Slurm
 * besides), `--tag`, and on Kubernetes the pod's image and node, asked of a real HTTP server standing
 * in for the Kubernetes API with a service-account folder of the pod's layout.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WORKFLOWS_VERSION, extendedStatus, extendedStatusFields } from '../../src';

describe('extended status fields', () => {
  it('gives only what is known: the version alone outside a scheduler', () => {
    expect(extendedStatusFields({})).toEqual({ zocalo: WORKFLOWS_VERSION });
  });

  it("reads SGE's job and cell (the job's spool configuration over the variable), Slurm's, and the tag", () => {
    const spool = mkdtempSync(join(tmpdir(), 'sge-spool-'));
    try {
      writeFileSync(join(spool, 'config'), 'JOB_ID=1\nSGE_CELL=from-spool\n');
      expect(
        extendedStatusFields(
          {
            JOB_ID: '42',
            SGE_CELL: 'from-env',
            SGE_JOB_SPOOL_DIR: spool,
            SLURM_JOB_ID: '7',
            SLURM_CLUSTER_NAME: 'hamilton',
          },
          { tag: 'beamline-i04', version: '1.6.0' },
        ),
      ).toEqual({
        zocalo: '1.6.0',
        tag: 'beamline-i04',
        cluster_JOB_ID: '42',
        cluster_SGE_CELL: 'from-spool',
        cluster_SLURM_JOB_ID: '7',
        cluster_SLURM_CLUSTER_NAME: 'hamilton',
      });
    } finally {
      rmSync(spool, { recursive: true, force: true });
    }
  });

  it("asks the Kubernetes API for the pod's images and node with the service account's token", async () => {
    const account = mkdtempSync(join(tmpdir(), 'k8s-account-'));
    mkdirSync(account, { recursive: true });
    writeFileSync(join(account, 'ca.crt'), 'not used over http');
    writeFileSync(join(account, 'namespace'), 'zocalo\n');
    writeFileSync(join(account, 'token'), 'secret-token\n');
    const seen: Array<{ url?: string; authorization?: string }> = [];
    const server = createServer((request, response) => {
      seen.push({ url: request.url, authorization: request.headers.authorization });
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify({
          spec: { nodeName: 'node-3', containers: [{ image: 'zocalo:1.2' }, { image: 'sidecar:4' }] },
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const fields = await extendedStatus({
        env: { HOSTNAME: 'dispatcher-5d8f' },
        serviceAccount: account,
        kubernetesApi: `http://127.0.0.1:${port}`,
      });
      expect(fields).toEqual({
        zocalo: WORKFLOWS_VERSION,
        container_image: 'zocalo:1.2,sidecar:4',
        container_node: 'node-3',
      });
      expect(seen).toEqual([
        { url: '/api/v1/namespaces/zocalo/pods/dispatcher-5d8f', authorization: 'Bearer secret-token' },
      ]);
      // Not on Kubernetes (no service account): nothing asked, nothing added.
      expect(await extendedStatus({ env: {}, serviceAccount: join(account, 'missing') })).toEqual({
        zocalo: WORKFLOWS_VERSION,
      });
    } finally {
      server.close();
      rmSync(account, { recursive: true, force: true });
    }
  });
});
