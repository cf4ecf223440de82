/**
 * python-zocalo's extended status (`zocalo.util.extended_status_dictionary`): the fields
 * `zocalo.service` adds to every status broadcast, each only when known: the `zocalo` version, the
 * instance's `tag`, the cluster job (SGE's `JOB_ID` and `SGE_CELL`, as Python; Slurm's
 * `SLURM_JOB_ID` and `SLURM_CLUSTER_NAME`, which Python does not read), and on Kubernetes the
 * container image and node of the pod, asked of the Kubernetes API with the pod's service account.
 */
import { readFileSync, statSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { WORKFLOWS_VERSION } from './version';

/** Where a pod's service account is mounted. */
export const KUBERNETES_SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The environment the fields are read from. */
export type StatusEnvironment = Readonly<Record<string, string | undefined>>;

export interface ExtendedStatusOptions {
  readonly env: StatusEnvironment;
  /** The `zocalo` field. Default: this library's version. */
  readonly version?: string;
  /** `--tag`. */
  readonly tag?: string;
  /** Default {@link KUBERNETES_SERVICE_ACCOUNT}. */
  readonly serviceAccount?: string;
  /** Default `https://kubernetes.default.svc`. */
  readonly kubernetesApi?: string;
  /** Most milliseconds to wait for the Kubernetes API. Default 3000. */
  readonly timeoutMs?: number;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The SGE cell from the job's spool configuration, which Python trusts over the variable. */
function sgeCell(env: StatusEnvironment): string | undefined {
  const spool = env.SGE_JOB_SPOOL_DIR;
  const config = spool ? readText(join(spool, 'config')) : undefined;
  const line = config?.split('\n').find((entry) => entry.toUpperCase().startsWith('SGE_CELL='));
  return line !== undefined ? line.slice('SGE_CELL='.length) : env.SGE_CELL || undefined;
}

interface Pod {
  readonly spec?: { readonly nodeName?: string; readonly containers?: ReadonlyArray<{ image?: string }> };
}

/** The pod's container images and node, or undefined when not on Kubernetes or the API does not say. */
export async function kubernetesPod(
  options: ExtendedStatusOptions,
): Promise<{ image: string; node: string } | undefined> {
  const account = options.serviceAccount ?? KUBERNETES_SERVICE_ACCOUNT;
  const ca = join(account, 'ca.crt');
  try {
    if (!statSync(account).isDirectory() || !statSync(ca).isFile()) return undefined;
  } catch {
    return undefined;
  }
  const namespace = readText(join(account, 'namespace'))?.trim();
  const token = readText(join(account, 'token'))?.trim();
  if (!namespace || !token) return undefined;
  const api = options.kubernetesApi ?? 'https://kubernetes.default.svc';
  const url = `${api}/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(options.env.HOSTNAME ?? '')}`;
  try {
    const pod = await new Promise<Pod>((resolve, reject) => {
      const onResponse = (response: IncomingMessage): void => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => {
          if (response.statusCode !== 200) return reject(new Error(`HTTP ${response.statusCode}`));
          try {
            resolve(JSON.parse(body) as Pod);
          } catch (error) {
            reject(error as Error);
          }
        });
      };
      const headers = { authorization: `Bearer ${token}` };
      const timeout = options.timeoutMs ?? 3000;
      void (async () => {
        const request = url.startsWith('https:')
          ? (await import('node:https')).get(url, { headers, ca: readFileSync(ca), timeout }, onResponse)
          : (await import('node:http')).get(url, { headers, timeout }, onResponse);
        request.on('timeout', () => request.destroy(new Error('timed out')));
        request.on('error', reject);
      })().catch(reject);
    });
    const images = [...new Set((pod.spec?.containers ?? []).map((container) => container.image))];
    const node = pod.spec?.nodeName;
    if (typeof node !== 'string') return undefined;
    return { image: images.filter((image): image is string => Boolean(image)).join(','), node };
  } catch {
    // Not allowed to read its own pod, or no API: the fields are left out, as in Python.
    return undefined;
  }
}

/**
 * The fields read from the environment alone (no Kubernetes lookup), each only when known: `zocalo`,
 * `tag`, SGE's `cluster_JOB_ID` / `cluster_SGE_CELL`, Slurm's `cluster_SLURM_JOB_ID` /
 * `cluster_SLURM_CLUSTER_NAME`. What a wrapper's status carries.
 */
export function extendedStatusFields(
  env: StatusEnvironment = process.env,
  options: { readonly version?: string; readonly tag?: string } = {},
): Record<string, string> {
  const fields: Record<string, string> = { zocalo: options.version ?? WORKFLOWS_VERSION };
  if (options.tag) fields.tag = options.tag;
  if (env.JOB_ID) {
    fields.cluster_JOB_ID = env.JOB_ID;
    const cell = sgeCell(env);
    if (cell) fields.cluster_SGE_CELL = cell;
  }
  if (env.SLURM_JOB_ID) {
    fields.cluster_SLURM_JOB_ID = env.SLURM_JOB_ID;
    if (env.SLURM_CLUSTER_NAME) fields.cluster_SLURM_CLUSTER_NAME = env.SLURM_CLUSTER_NAME;
  }
  return fields;
}

/** The extended status fields, each only when known: {@link extendedStatusFields} and, on Kubernetes, the pod's. */
export async function extendedStatus(options: ExtendedStatusOptions): Promise<Record<string, string>> {
  const fields = extendedStatusFields(options.env, options);
  const pod = await kubernetesPod(options);
  if (pod) {
    fields.container_image = pod.image;
    fields.container_node = pod.node;
  }
  return fields;
}
