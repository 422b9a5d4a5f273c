import { Button, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';
import { Empty, ErrorText } from './Messages';
import type { Build } from '../api';
import { formatAge } from '../format';
import type { IArielModel, IBuildLog } from '../tokens';

/** The project's builds (all of the machine's without a project), newest first; each opens its live log in a tab. */
export function BuildsView({ model, onOpen }: { model: IArielModel; onOpen: (id: string) => void }): JSX.Element {
  const { listErrors, project } = model;
  // The project's builds (those a kernel start began too); all of the machine's when there is no project.
  const builds = project ? model.builds.filter(build => build.project === project.root) : model.builds;
  if (!builds.length) {
    return (
      <Empty
        error={listErrors.builds}
        text={'No builds yet. Build an image from the Dockerfile inspector (the Dockerfile button above).'}
      />
    );
  }
  return (
    <ul className="jp-Ariel-list jp-Ariel-buildList">
      {builds.map(build => (
        <li
          key={build.id}
          className="jp-Ariel-listItem jp-Ariel-build"
          data-build={build.id}
          title={`${build.image}: open its log`}
        >
          <span className={`jp-Ariel-state jp-Ariel-state-${build.state}`}>{build.state}</span>
          <span className="jp-Ariel-grow">
            {build.mode} · {build.accelerator.toUpperCase()} · {build.project || '/'}
          </span>
          <span className="jp-Ariel-muted">{formatAge(build.startedAt)}</span>
          <Button small minimal onClick={() => onOpen(build.id)} title={`Open the log of ${build.image}`}>
            Log
          </Button>
        </li>
      ))}
    </ul>
  );
}

export function BuildDetail({ build, log, model }: { build: Build; log: IBuildLog; model: IArielModel }): JSX.Element {
  const pre = React.useRef<HTMLPreElement>(null);
  // Follows the end of the log until the user scrolls up, and again once they scroll back down.
  const follow = React.useRef(true);
  const onScroll = () => {
    const element = pre.current;
    if (element) {
      follow.current = element.scrollHeight - element.scrollTop - element.clientHeight < 24;
    }
  };
  return (
    <UseSignal signal={log.changed} initialSender={log}>
      {() => {
        const progress = log.progress;
        const running = !log.finished && build.state === 'running';
        return (
          <div className="jp-Ariel-buildDetail">
            <div className="jp-Ariel-row">
              <progress
                className="jp-Ariel-progress"
                max={progress?.total ?? 1}
                value={log.state === 'succeeded' ? (progress?.total ?? 1) : (progress?.step ?? 0)}
                aria-label="Build progress"
              />
              <span className="jp-Ariel-muted">
                {progress ? `step ${progress.step}/${progress.total}` : running ? 'starting' : log.state}
              </span>
              {running && (
                <Button small minimal onClick={() => void model.cancelBuild(build.id)} title="Cancel this build">
                  Cancel
                </Button>
              )}
            </div>
            {log.error && <ErrorText error={log.error} />}
            <AutoScroll target={pre} follow={follow} dependency={log.lines.join('\n').length} />
            <pre ref={pre} className="jp-Ariel-log" aria-label="Build log" onScroll={onScroll}>
              {log.lines.join('\n')}
            </pre>
          </div>
        );
      }}
    </UseSignal>
  );
}

/** Scrolls a log to its end when it grows, while `follow` says so. */
function AutoScroll({
  target,
  follow,
  dependency
}: {
  target: React.RefObject<HTMLElement>;
  follow: React.MutableRefObject<boolean>;
  dependency: number;
}): null {
  React.useLayoutEffect(() => {
    const element = target.current;
    if (element && follow.current) {
      element.scrollTop = element.scrollHeight;
    }
    // The refs are stable; only a longer log is a reason to scroll.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [dependency]);
  return null;
}
