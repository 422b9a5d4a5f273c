/**
 * A local Vertex AI JobService for tests: the real protos shipped in @google-cloud/aiplatform
 * served over plaintext gRPC, so the real JobServiceClient talks to it. It records CustomJobs,
 * runs each job's container (pulled from its registry by digest) on the local Docker engine,
 * moves it through Vertex AI's states, and can be told to fail or drop responses.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type Docker from 'dockerode';
import {
  clusterReplicas,
  replicaEnvironment,
  replicaLabel,
  VERTEX_CLUSTER_PORT,
  type Replica
} from '../../distributed/cluster.js';

const require = createRequire(import.meta.url);

/** Label on every container the emulator starts, for cleanup. */
export const EMULATOR_LABEL = 'org.ariel.test.vertex-emulator';

type Method = 'CreateCustomJob' | 'GetCustomJob' | 'ListCustomJobs' | 'CancelCustomJob';

export interface EmulatedJob {
  name: string;
  /** The CustomJob as received (camelCase fields, enums as names). */
  request: Record<string, unknown>;
  state: string;
  /** The container's output, once it has ended. */
  output?: string;
  exitCode?: number;
  error?: string;
  /** A distributed job's replicas (every pool's), with the environment each got and its output. */
  replicas?: EmulatedReplica[];
  /** The job's private Docker network, while it runs (distributed jobs only). */
  network?: string;
}

export interface EmulatedReplica extends Replica {
  /** `primary`, `worker-0`, `reduction-server-0`, … */
  label: string;
  /** What Vertex AI sets for the cluster (CLUSTER_SPEC, TF_CONFIG, MASTER_ADDR, …). */
  env: Record<string, string>;
  /** False for a pool that cannot run here (the Reduction Server's image is Vertex AI's own). */
  started: boolean;
  output?: string;
  exitCode?: number;
}

interface PoolSpec {
  replicaCount?: string | number;
  containerSpec?: { imageUri: string; command?: string[]; args?: string[] };
}

interface Fault {
  method: Method;
  /** gRPC status code answered. */
  code: grpc.status;
  /** Do the work, then answer the error anyway: the response is lost. */
  drop: boolean;
}

interface Timestamp {
  seconds: string;
  nanos: number;
}

function now(): Timestamp {
  const ms = Date.now();
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
}

const FINAL = new Set(['JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED', 'JOB_STATE_CANCELLED']);

export interface EmulatorOptions {
  /**
   * Run each job's container on this engine. Without it, jobs run nowhere and advance one
   * state (PENDING → RUNNING → SUCCEEDED) per GetCustomJob call.
   */
  docker?: Docker;
  /** Each CreateCustomJob takes this long, to leave time to interrupt a submission. */
  createDelayMs?: number;
  /**
   * A host folder standing for Cloud Storage: mounted at /gcs in every job's container, as
   * Vertex AI mounts buckets (gs://BUCKET/PATH is /gcs/BUCKET/PATH), so outputs can be read here.
   */
  gcsRoot?: string;
}

export class VertexEmulator {
  /** Calls received per method, faults included. */
  readonly calls: Record<Method, number> = {
    CreateCustomJob: 0,
    GetCustomJob: 0,
    ListCustomJobs: 0,
    CancelCustomJob: 0
  };
  readonly jobs = new Map<string, EmulatedJob & { times: Record<string, Timestamp> }>();

  /** The jobs Ariel submitted as group `name` (its `ariel_group` label). */
  jobsOfGroup(name: string): (EmulatedJob & { times: Record<string, Timestamp> })[] {
    return [...this.jobs.values()].filter(j => (j.request.labels as Record<string, string>)['ariel_group'] === name);
  }
  private readonly faults: Fault[] = [];
  private readonly running = new Map<string, Promise<void>>();
  private readonly server = new grpc.Server();
  private nextId = 1;
  port = 0;

  constructor(private readonly options: EmulatorOptions = {}) {}

  /** The next `count` calls of `method` fail with `code` (default UNAVAILABLE). */
  failNext(method: Method, count = 1, code: grpc.status = grpc.status.UNAVAILABLE): void {
    for (let i = 0; i < count; i++) {
      this.faults.push({ method, code, drop: false });
    }
  }

  /** The next `count` calls of `method` take effect, but their responses are lost (UNAVAILABLE). */
  dropNext(method: Method, count = 1): void {
    for (let i = 0; i < count; i++) {
      this.faults.push({ method, code: grpc.status.UNAVAILABLE, drop: true });
    }
  }

  /** `127.0.0.1:PORT`, the value of ARIEL_VERTEX_ENDPOINT for the CLI. */
  get endpoint(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    // Both packages' main files are build/src/index.js; their protos are in build/protos.
    const protosOf = (name: string) => join(dirname(require.resolve(name)), '..', 'protos');
    const definition = protoLoader.loadSync('google/cloud/aiplatform/v1/job_service.proto', {
      includeDirs: [protosOf('@google-cloud/aiplatform'), protosOf('google-gax')],
      longs: String,
      enums: String,
      oneofs: true
    });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      google: { cloud: { aiplatform: { v1: { JobService: { service: grpc.ServiceDefinition } } } } };
    };
    this.server.addService(loaded.google.cloud.aiplatform.v1.JobService.service, {
      CreateCustomJob: this.handler('CreateCustomJob', request => this.create(request)),
      GetCustomJob: this.handler('GetCustomJob', request => this.get(request.name as string)),
      ListCustomJobs: this.handler('ListCustomJobs', request => this.list(request)),
      CancelCustomJob: this.handler('CancelCustomJob', request => this.cancel(request.name as string))
    });
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) =>
        error ? reject(error) : resolve(port)
      )
    );
  }

  /** Stops serving and waits for the jobs' containers to be removed. */
  async stop(): Promise<void> {
    await new Promise<void>(resolve => this.server.tryShutdown(() => resolve()));
    for (const job of this.jobs.values()) {
      if (!FINAL.has(job.state)) {
        this.cancel(job.name);
      }
    }
    await Promise.allSettled(this.running.values());
  }

  /** Resolves once the job has reached a final state. */
  async finished(name: string): Promise<EmulatedJob> {
    await this.running.get(name);
    return this.jobs.get(name)!;
  }

  private handler(
    method: Method,
    work: (request: Record<string, unknown>) => unknown
  ): grpc.handleUnaryCall<Record<string, unknown>, unknown> {
    const delay = method === 'CreateCustomJob' ? (this.options.createDelayMs ?? 0) : 0;
    return (call, callback) => {
      this.calls[method]++;
      if (delay > 0) {
        setTimeout(() => this.answer(method, work, call.request, callback), delay);
      } else {
        this.answer(method, work, call.request, callback);
      }
    };
  }

  private answer(
    method: Method,
    work: (request: Record<string, unknown>) => unknown,
    request: Record<string, unknown>,
    callback: grpc.sendUnaryData<unknown>
  ): void {
    const at = this.faults.findIndex(f => f.method === method);
    const fault = at >= 0 ? this.faults.splice(at, 1)[0] : undefined;
    try {
      if (fault && !fault.drop) {
        throw Object.assign(new Error(`emulated ${grpc.status[fault.code]}`), { code: fault.code });
      }
      const response = work(request);
      if (fault) {
        callback({ code: fault.code, details: 'emulated lost response' });
        return;
      }
      callback(null, response);
    } catch (error) {
      const { code, message } = error as { code?: grpc.status; message: string };
      callback({ code: code ?? grpc.status.INTERNAL, details: message });
    }
  }

  private create(request: Record<string, unknown>): unknown {
    const parent = request.parent as string;
    if (!/^projects\/[^/]+\/locations\/[^/]+$/.test(parent ?? '')) {
      throw Object.assign(new Error(`bad parent ${parent}`), { code: grpc.status.INVALID_ARGUMENT });
    }
    const name = `${parent}/customJobs/${this.nextId++}`;
    const job = {
      name,
      request: request.customJob as Record<string, unknown>,
      state: 'JOB_STATE_PENDING',
      times: { createTime: now(), updateTime: now() }
    };
    this.jobs.set(name, job);
    if (this.options.docker) {
      this.running.set(name, this.run(job, this.options.docker));
    }
    return this.message(job);
  }

  private get(name: string): unknown {
    return this.observe(this.require(name));
  }

  /** A job as a read returns it; without an engine, each read moves it one state on. */
  private observe(job: EmulatedJob & { times: Record<string, Timestamp> }): unknown {
    if (!this.options.docker && !FINAL.has(job.state)) {
      this.setState(job, job.state === 'JOB_STATE_PENDING' ? 'JOB_STATE_RUNNING' : 'JOB_STATE_SUCCEEDED');
    }
    return this.message(job);
  }

  private list(request: Record<string, unknown>): unknown {
    const filters = [...String(request.filter ?? '').matchAll(/labels\.([\w-]+)\s*=\s*"([^"]*)"/g)];
    const parent = `${request.parent as string}/customJobs/`;
    const jobs = [...this.jobs.values()].filter(
      job =>
        job.name.startsWith(parent) &&
        filters.every(([, key, value]) => (job.request.labels as Record<string, string>)?.[key] === value)
    );
    return { customJobs: jobs.map(job => this.observe(job)), nextPageToken: '' };
  }

  private cancel(name: string): unknown {
    const job = this.require(name);
    if (FINAL.has(job.state)) {
      throw Object.assign(new Error(`job ${name} is already ${job.state}`), { code: grpc.status.FAILED_PRECONDITION });
    }
    this.setState(job, 'JOB_STATE_CANCELLING');
    if (!this.options.docker) {
      this.setState(job, 'JOB_STATE_CANCELLED');
    }
    return {};
  }

  private require(name: string) {
    const job = this.jobs.get(name);
    if (!job) {
      throw Object.assign(new Error(`no job ${name}`), { code: grpc.status.NOT_FOUND });
    }
    return job;
  }

  private setState(job: EmulatedJob & { times: Record<string, Timestamp> }, state: string): void {
    job.state = state;
    job.times.updateTime = now();
    if (state === 'JOB_STATE_RUNNING') {
      job.times.startTime = now();
    }
    if (FINAL.has(state)) {
      job.times.endTime = now();
    }
  }

  private message(job: EmulatedJob & { times: Record<string, Timestamp> }): unknown {
    return {
      ...job.request,
      name: job.name,
      state: job.state,
      ...job.times,
      ...(job.error ? { error: { code: 13, message: job.error } } : {})
    };
  }

  /** Pulls the job's image from its registry, runs it to the end and records the outcome. */
  private async run(job: EmulatedJob & { times: Record<string, Timestamp> }, docker: Docker): Promise<void> {
    const pools = (job.request.jobSpec as { workerPoolSpecs: PoolSpec[] }).workerPoolSpecs;
    if (pools.slice(1).some(pool => Number(pool.replicaCount ?? 0) > 0)) {
      return this.runDistributed(job, docker, pools);
    }
    const spec = pools[0].containerSpec!;
    try {
      await new Promise<void>((resolve, reject) =>
        docker.pull(spec.imageUri, (error: Error | null, stream: NodeJS.ReadableStream) =>
          error ? reject(error) : docker.modem.followProgress(stream, e => (e ? reject(e) : resolve()))
        )
      );
      if (job.state === 'JOB_STATE_CANCELLING') {
        this.setState(job, 'JOB_STATE_CANCELLED');
        return;
      }
      const container = await docker.createContainer({
        Image: spec.imageUri,
        Cmd: [...(spec.command ?? []), ...(spec.args ?? [])],
        Labels: { [EMULATOR_LABEL]: job.name },
        Env: [`CLOUD_ML_JOB_ID=${job.name.split('/').pop()}`],
        HostConfig: this.options.gcsRoot ? { Binds: [`${this.options.gcsRoot}:/gcs`] } : {}
      });
      try {
        await container.start();
        this.setState(job, job.state === 'JOB_STATE_CANCELLING' ? job.state : 'JOB_STATE_RUNNING');
        const stop = setInterval(() => {
          if (job.state === 'JOB_STATE_CANCELLING') {
            void container.kill().catch(() => undefined);
          }
        }, 100);
        const { StatusCode } = (await container.wait().finally(() => clearInterval(stop))) as { StatusCode: number };
        const out = new PassThrough();
        let output = '';
        out.on('data', chunk => (output += String(chunk)));
        const logs = (await container.logs({ stdout: true, stderr: true, follow: false })) as Buffer;
        docker.modem.demuxStream(new PassThrough().end(logs), out, out);
        await new Promise(resolve => setImmediate(resolve));
        job.output = output;
        job.exitCode = StatusCode;
        if (job.state === 'JOB_STATE_CANCELLING') {
          this.setState(job, 'JOB_STATE_CANCELLED');
        } else {
          if (StatusCode !== 0) {
            job.error = `The replica workerpool0-0 exited with a non-zero status of ${StatusCode}.`;
          }
          this.setState(job, StatusCode === 0 ? 'JOB_STATE_SUCCEEDED' : 'JOB_STATE_FAILED');
        }
      } finally {
        await container.remove({ force: true }).catch(() => undefined);
      }
    } catch (error) {
      job.error = (error as Error).message;
      this.setState(job, 'JOB_STATE_FAILED');
    }
  }

  /**
   * A distributed job as Vertex AI runs it: one container per replica of every pool, on a private
   * network of the job's own, each reachable by its host name and given the cluster's environment
   * (see replicaEnvironment). The job ends with its primary: succeeded when it succeeds; a replica
   * that fails, or a cancel, stops them all. The Reduction Server's image is Vertex AI's own and
   * cannot run here: its replicas are recorded, named in the cluster, and started nowhere.
   */
  private async runDistributed(
    job: EmulatedJob & { times: Record<string, Timestamp> },
    docker: Docker,
    pools: PoolSpec[]
  ): Promise<void> {
    const id = job.name.split('/').pop()!;
    const count = (pool: number) => Number(pools[pool]?.replicaCount ?? 0);
    const replicas = clusterReplicas(
      { workers: count(1), reductionServers: count(2), evaluators: count(3) },
      (pool, index) => `workerpool${pool}-${index}`
    );
    const jobSpec = job.request.jobSpec as Record<string, unknown>;
    job.replicas = replicas.map(replica => ({
      ...replica,
      label: replicaLabel(replica),
      env: replicaEnvironment(replicas, replica, { job: jobSpec, port: VERTEX_CLUSTER_PORT }),
      started: replica.pool !== 2
    }));
    const notes = job.replicas
      .filter(replica => !replica.started)
      .map(
        replica =>
          `[${replica.label}] not started: the Reduction Server runs Vertex AI's own image (${pools[2].containerSpec?.imageUri ?? 'none given'}), which the emulator cannot run.\n`
      );
    const containers: { replica: EmulatedReplica; container: Docker.Container }[] = [];
    let network: Docker.Network | undefined;
    try {
      const images = [...new Set(job.replicas.filter(r => r.started).map(r => pools[r.pool].containerSpec!.imageUri))];
      for (const image of images) {
        await new Promise<void>((resolve, reject) =>
          docker.pull(image, (error: Error | null, stream: NodeJS.ReadableStream) =>
            error ? reject(error) : docker.modem.followProgress(stream, e => (e ? reject(e) : resolve()))
          )
        );
      }
      if (job.state === 'JOB_STATE_CANCELLING') {
        this.setState(job, 'JOB_STATE_CANCELLED');
        return;
      }
      job.network = `ariel-emulator-${id}-${Date.now().toString(36)}`;
      network = await docker.createNetwork({
        Name: job.network,
        Driver: 'bridge',
        Labels: { [EMULATOR_LABEL]: job.name }
      });
      for (const replica of job.replicas.filter(r => r.started)) {
        const spec = pools[replica.pool].containerSpec!;
        const container = await docker.createContainer({
          Image: spec.imageUri,
          Cmd: [...(spec.command ?? []), ...(spec.args ?? [])],
          Hostname: replica.host,
          Labels: { [EMULATOR_LABEL]: job.name },
          Env: [`CLOUD_ML_JOB_ID=${id}`, ...Object.entries(replica.env).map(([key, value]) => `${key}=${value}`)],
          HostConfig: {
            NetworkMode: job.network,
            ...(this.options.gcsRoot ? { Binds: [`${this.options.gcsRoot}:/gcs`] } : {})
          },
          NetworkingConfig: { EndpointsConfig: { [job.network]: { Aliases: [replica.host] } } }
        });
        containers.push({ replica, container });
      }
      // Workers first, so the primary's rendezvous finds them resolvable.
      for (const { container } of [...containers].reverse()) {
        await container.start();
      }
      this.setState(job, job.state === 'JOB_STATE_CANCELLING' ? job.state : 'JOB_STATE_RUNNING');
      const killAll = () => Promise.all(containers.map(({ container }) => container.kill().catch(() => undefined)));
      const stop = setInterval(() => {
        if (job.state === 'JOB_STATE_CANCELLING') {
          void killAll();
        }
      }, 100);
      // Ends with the primary, or with the first replica that fails.
      let failed: EmulatedReplica | undefined;
      let ended = false;
      const waits = containers.map(async ({ replica, container }) => {
        const { StatusCode } = (await container.wait()) as { StatusCode: number };
        replica.exitCode = StatusCode;
        // Replicas killed after the end do not change the outcome.
        if (!ended && (replica.pool === 0 || StatusCode !== 0)) {
          ended = true;
          failed = StatusCode !== 0 ? replica : undefined;
        }
        return ended;
      });
      await new Promise<void>(resolve => {
        for (const wait of waits) {
          void wait.then(
            decisive => decisive && resolve(),
            () => resolve()
          );
        }
      }).finally(() => clearInterval(stop));
      await killAll();
      await Promise.allSettled(waits);
      for (const { replica, container } of containers) {
        replica.output = await this.logsOf(docker, container);
      }
      job.output = [
        ...notes,
        ...containers.flatMap(({ replica }) =>
          (replica.output ?? '')
            .split('\n')
            .filter(line => line !== '')
            .map(line => `[${replica.label}] ${line}\n`)
        )
      ].join('');
      const primary = job.replicas[0];
      job.exitCode = primary.exitCode;
      if (job.state === 'JOB_STATE_CANCELLING') {
        this.setState(job, 'JOB_STATE_CANCELLED');
      } else if (failed) {
        job.error = `The replica workerpool${failed.pool}-${failed.index} exited with a non-zero status of ${failed.exitCode}.`;
        this.setState(job, 'JOB_STATE_FAILED');
      } else {
        this.setState(job, 'JOB_STATE_SUCCEEDED');
      }
    } catch (error) {
      job.error = (error as Error).message;
      this.setState(job, 'JOB_STATE_FAILED');
    } finally {
      await Promise.all(containers.map(({ container }) => container.remove({ force: true }).catch(() => undefined)));
      await network?.remove().catch(() => undefined);
    }
  }

  /** A finished container's output, stdout and stderr interleaved. */
  private async logsOf(docker: Docker, container: Docker.Container): Promise<string> {
    const out = new PassThrough();
    let output = '';
    out.on('data', chunk => (output += String(chunk)));
    const logs = (await container.logs({ stdout: true, stderr: true, follow: false })) as Buffer;
    docker.modem.demuxStream(new PassThrough().end(logs), out, out);
    await new Promise(resolve => setImmediate(resolve));
    return output;
  }
}
