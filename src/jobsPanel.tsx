import type { ICloudModel } from './tokens';
import { Button, launchIcon, redoIcon, stopIcon } from '@jupyterlab/ui-components';
import * as React from 'react';
import type { CloudGroup, CloudJob } from './api';
import { stateLabel } from './cloudModel';
import { Empty } from './components/Messages';
import { formatAge } from './format';

/**
 * The sidebar's "Jobs" section: the job history's recent groups, local runs (`ariel run`) and
 * cloud experiments alike, each job with its live state and cancel; a cloud group can be
 * resubmitted with the same image digest, and a Vertex AI job opens in the Cloud console.
 */
export function JobsView({
  model,
  onAct,
  onOpenLog
}: {
  model: ICloudModel;
  onAct: (action: Promise<unknown>) => void;
  /** Opens a local job's kept log. */
  onOpenLog: (job: CloudJob) => void;
}): JSX.Element {
  if (!model.groups.length) {
    return (
      <Empty
        error={model.jobsError ?? undefined}
        text="No jobs yet: submit a cloud experiment (Submit above), or run one with ariel run."
      />
    );
  }
  return (
    <div className="jp-Ariel-cloudJobs jp-Ariel-jobs">
      {model.jobsError && <p className="jp-Ariel-warning">{model.jobsError}</p>}
      {model.groups.map(group => (
        <GroupView key={group.name} group={group} model={model} onAct={onAct} onOpenLog={onOpenLog} />
      ))}
    </div>
  );
}

/** "local", or "cloud · us-central1". */
function platformOf(group: CloudGroup): string {
  return group.platform === 'local' ? 'local' : `cloud · ${group.region}`;
}

const RESUBMITTABLE = new Set(['NOT_SUBMITTED', 'JOB_STATE_FAILED', 'JOB_STATE_CANCELLED', 'JOB_STATE_EXPIRED']);

function GroupView({
  group,
  model,
  onAct,
  onOpenLog
}: {
  group: CloudGroup;
  model: ICloudModel;
  onAct: (action: Promise<unknown>) => void;
  onOpenLog: (job: CloudJob) => void;
}): JSX.Element {
  const unfinished = group.jobs.some(job => !job.final);
  const resubmittable = group.platform === 'vertex' && group.jobs.some(job => RESUBMITTABLE.has(job.state));
  const succeeded = group.jobs.filter(job => job.state === 'JOB_STATE_SUCCEEDED').length;
  return (
    <div className="jp-Ariel-group" data-group={group.name}>
      <div className="jp-Ariel-row jp-Ariel-groupHeader">
        <span className="jp-Ariel-grow" title={`${group.target} · ${group.image}`}>
          <strong>{group.name}</strong>
          <span className="jp-Ariel-muted">
            {' '}
            · <span className="jp-Ariel-platform">{platformOf(group)}</span> · {succeeded}/{group.jobs.length} succeeded
            · {formatAge(group.createdAt)}
          </span>
        </span>
        {unfinished && (
          <Button
            small
            minimal
            title={`Cancel the unfinished jobs of ${group.name}`}
            onClick={() => onAct(model.stop({ group: group.name }))}
          >
            <stopIcon.react tag="span" elementSize="small" />
          </Button>
        )}
        {resubmittable && !group.submitting && (
          <Button
            small
            minimal
            title={`Resubmit the failed, cancelled and unsubmitted jobs of ${group.name} (same image digest)`}
            onClick={() => onAct(model.resubmit(group.name))}
          >
            <redoIcon.react tag="span" elementSize="small" />
          </Button>
        )}
      </div>
      <ul className="jp-Ariel-list">
        {group.jobs.map(job => (
          <JobView
            key={job.id}
            job={job}
            local={group.platform === 'local'}
            model={model}
            onAct={onAct}
            onOpenLog={onOpenLog}
          />
        ))}
      </ul>
    </div>
  );
}

function JobView({
  job,
  local,
  model,
  onAct,
  onOpenLog
}: {
  job: CloudJob;
  /** A local run's job: cancelled by removing its container, with no console page. */
  local: boolean;
  model: ICloudModel;
  onAct: (action: Promise<unknown>) => void;
  onOpenLog: (job: CloudJob) => void;
}): JSX.Element {
  const state = stateLabel(job.state);
  return (
    <li
      className="jp-Ariel-listItem jp-Ariel-cloudJob"
      data-job={job.displayName}
      title={job.error ?? job.args.join(' ')}
    >
      <span className={`jp-Ariel-state jp-Ariel-job-${state.replace(/ /g, '-')}`}>{state}</span>
      <span className="jp-Ariel-grow">
        #{job.experiment}
        {job.attempt > 1 ? ` (attempt ${job.attempt})` : ''}{' '}
        <span className="jp-Ariel-muted">{job.args.join(' ')}</span>
      </span>
      {local && (
        <Button small minimal title={`Open the log of ${job.displayName}`} onClick={() => onOpenLog(job)}>
          Log
        </Button>
      )}
      {!local && job.console && (
        <a href={job.console} target="_blank" rel="noopener noreferrer" title="Open the job in the Cloud console">
          <launchIcon.react tag="span" elementSize="small" />
        </a>
      )}
      {!job.final && (local || job.remoteName) && (
        <Button small minimal title={`Cancel ${job.displayName}`} onClick={() => onAct(model.stop({ job: job.id }))}>
          <stopIcon.react tag="span" elementSize="small" />
        </Button>
      )}
    </li>
  );
}
