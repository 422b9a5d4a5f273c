import { ArielError } from '../errors.js';
import { ARIEL_LABELS } from './labels.js';

/** A CustomJob as Ariel reads it back. */
export interface RemoteJob {
  name: string;
  state: string;
  error?: string;
  labels?: Record<string, string>;
}

/** The four JobService calls Ariel makes; the Vertex AI client implements them, tests may fake them. */
export interface JobApi {
  create(parent: string, customJob: Record<string, unknown>): Promise<RemoteJob>;
  get(name: string): Promise<RemoteJob>;
  /** The jobs under `parent` that carry a label with that value (every page). */
  listByLabel(parent: string, key: string, value: string): Promise<RemoteJob[]>;
  cancel(name: string): Promise<void>;
  close(): Promise<void>;
}

/** `projects/P/locations/R`, the parent of a region's jobs. */
export function parentOf(projectId: string, region: string): string {
  return `projects/${projectId}/locations/${region}`;
}

/** The Cloud console page of a job, `projects/P/locations/R/customJobs/N`. */
export function consoleUrl(name: string): string | undefined {
  const match = /^projects\/([^/]+)\/locations\/([^/]+)\/customJobs\/([^/]+)$/.exec(name);
  return match
    ? `https://console.cloud.google.com/vertex-ai/locations/${match[2]}/training/${match[3]}/cpu?project=${match[1]}`
    : undefined;
}

interface CustomJobMessage {
  name?: string | null;
  state?: string | number | null;
  error?: { message?: string | null } | null;
  labels?: Record<string, string> | null;
}

function remoteOf(job: CustomJobMessage): RemoteJob {
  return {
    name: job.name ?? '',
    state: typeof job.state === 'string' ? job.state : `JOB_STATE_${job.state ?? 'UNSPECIFIED'}`,
    ...(job.error?.message ? { error: job.error.message } : {}),
    ...(job.labels ? { labels: job.labels } : {})
  };
}

/**
 * Vertex AI's JobService on the region's endpoint, authenticated with Application Default
 * Credentials. ARIEL_VERTEX_ENDPOINT=HOST:PORT (tests only) points it at a plaintext local
 * server with fake credentials instead, so it never looks for Google's metadata server.
 */
export async function connectVertex(region: string, env: NodeJS.ProcessEnv = process.env): Promise<JobApi> {
  // The package's index loads every Vertex AI client (seconds); this loads only JobService's.
  const { JobServiceClient } = await import('@google-cloud/aiplatform/build/src/v1/job_service_client.js');
  const local = env.ARIEL_VERTEX_ENDPOINT;
  let client: InstanceType<typeof JobServiceClient>;
  if (local) {
    const grpc = await import('@grpc/grpc-js');
    const { GoogleAuth, OAuth2Client } = await import('google-auth-library');
    const fake = new OAuth2Client();
    fake.setCredentials({ access_token: 'local-test-token' });
    const colon = local.lastIndexOf(':');
    client = new JobServiceClient({
      apiEndpoint: local.slice(0, colon),
      port: Number(local.slice(colon + 1)),
      sslCreds: grpc.credentials.createInsecure(),
      auth: new GoogleAuth({ authClient: fake })
    });
  } else {
    client = new JobServiceClient({ apiEndpoint: `${region}-aiplatform.googleapis.com` });
  }
  return {
    async create(parent, customJob) {
      const [job] = await client.createCustomJob({ parent, customJob });
      return remoteOf(job as CustomJobMessage);
    },
    async get(name) {
      const [job] = await client.getCustomJob({ name });
      return remoteOf(job as CustomJobMessage);
    },
    async listByLabel(parent, key, value) {
      const [jobs] = await client.listCustomJobs(
        { parent, filter: `labels.${key}="${value}"` },
        { autoPaginate: true }
      );
      return jobs.map(job => remoteOf(job as CustomJobMessage));
    },
    async cancel(name) {
      await client.cancelCustomJob({ name });
    },
    close: () => client.close()
  };
}

/** gRPC status codes worth another try: DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED (quota), UNAVAILABLE. */
const RETRYABLE = new Set([4, 8, 14]);

export function isRetryable(error: unknown): boolean {
  return RETRYABLE.has((error as { code?: number })?.code ?? -1);
}

/** A Vertex AI error as one line a user can act on. */
export function vertexError(error: unknown, what: string): ArielError {
  if (error instanceof ArielError) {
    return error;
  }
  const { code, details, message } = error as { code?: number; details?: string; message?: string };
  const hints: Record<number, string> = {
    3: 'Vertex AI rejected the job spec; check the machine, accelerator and labels of the planned jobs.',
    7: 'The credentials lack permission: grant the Vertex AI User role, or run: gcloud auth application-default login',
    8: 'A quota is exhausted; ask for more in the Cloud console, or submit fewer jobs at once.',
    14: 'Vertex AI did not answer; check the network and the region.',
    16: 'No valid credentials: run gcloud auth application-default login'
  };
  return new ArielError(
    'cloud-request-failed',
    `${what} failed: ${details || message || String(error)}`,
    hints[code ?? -1] ?? 'See the message above.'
  );
}

/** The job a creation request made, found by its request label; undefined when there is none. */
export async function findByRequest(api: JobApi, parent: string, requestId: string): Promise<RemoteJob | undefined> {
  return (await api.listByLabel(parent, ARIEL_LABELS.request, requestId))[0];
}
