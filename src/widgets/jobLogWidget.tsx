import { ReactWidget } from '@jupyterlab/apputils';
import { UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';
import { stateLabel } from '../cloudModel';
import type { IArielClient } from '../tokens';
import { JobLogFollower } from './jobLog';

/** A local job's kept log in a main-area tab, opened from the Jobs list; it follows the log while the job runs. */
export class JobLogWidget extends ReactWidget {
  constructor(client: IArielClient, jobId: number, name: string, maxLines: number) {
    super();
    this.addClass('jp-Ariel-jobLogWidget');
    this.id = `jp-ariel-job-log-${jobId}`;
    this.title.label = `Log: ${name}`;
    this.title.caption = `The output of job ${name}, as ariel logs prints it`;
    this.title.closable = true;
    this.follower = new JobLogFollower(client, jobId, maxLines);
    void this.follower.start();
  }

  readonly follower: JobLogFollower;

  dispose(): void {
    this.follower.dispose();
    super.dispose();
  }

  protected render(): JSX.Element {
    return <UseSignal signal={this.follower.changed}>{() => <JobLogView follower={this.follower} />}</UseSignal>;
  }
}

function JobLogView({ follower }: { follower: JobLogFollower }): JSX.Element {
  const pre = React.useRef<HTMLPreElement>(null);
  // Follows the end of the log until the user scrolls up, and again once they scroll back down.
  const follow = React.useRef(true);
  const text = follower.lines.join('\n');
  React.useLayoutEffect(() => {
    const element = pre.current;
    if (element && follow.current) {
      element.scrollTop = element.scrollHeight;
    }
  }, [text.length]);
  const state = follower.state ? stateLabel(follower.state) : null;
  return (
    <div className="jp-Ariel-jobLogPage" data-final={String(follower.final)}>
      <h2 className="jp-Ariel-pageTitle">
        {state && <span className={`jp-Ariel-state jp-Ariel-job-${state.replace(/ /g, '-')}`}>{state}</span>}{' '}
        {follower.job ?? `job ${follower.jobId}`}
        <span className="jp-Ariel-muted">
          {follower.final ? ' · complete' : follower.error ? '' : ' · following'}
          {follower.truncated ? ' · earlier output left out' : ''}
        </span>
      </h2>
      {follower.error && <p className="jp-Ariel-error">{follower.error}</p>}
      <pre
        ref={pre}
        className="jp-Ariel-log jp-Ariel-jobLog"
        aria-label="Job log"
        onScroll={() => {
          const element = pre.current;
          if (element) {
            follow.current = element.scrollHeight - element.scrollTop - element.clientHeight < 24;
          }
        }}
      >
        {text || (follower.final ? 'No output was kept for this job.' : '')}
      </pre>
    </div>
  );
}
