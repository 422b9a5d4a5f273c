import { Button, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';
import { Empty } from './Empty';
import type { IBuild } from '../api';
import type { BuildLog } from '../buildLog';
import { formatAge } from '../format';
import type { IArielModel } from '../tokens';

/** The machine's builds, newest first; the selected one (by default the newest) with its live log. */
export function BuildsView({ model }: { model: IArielModel }): JSX.Element {
  const [selected, setSelected] = React.useState<string | null>(null);
  const { builds, listErrors } = model;
  if (!builds.length) {
    return <Empty error={listErrors.builds} text={'No builds yet. Build an image from the Dockerfile section.'} />;
  }
  const current = builds.find(build => build.id === selected) ?? builds[0];
  return (
    <div className="jp-Ariel-builds">
      <ul className="jp-Ariel-list">
        {builds.map(build => (
          <li
            key={build.id}
            className={`jp-Ariel-listItem${build.id === current.id ? ' jp-mod-selected' : ''}`}
            onClick={() => setSelected(build.id)}
            title={build.image}
          >
            <span className={`jp-Ariel-state jp-Ariel-state-${build.state}`}>{build.state}</span>
            <span className="jp-Ariel-grow">
              {build.mode} · {build.accelerator.toUpperCase()} · {build.project || '/'}
            </span>
            <span className="jp-Ariel-muted">{formatAge(build.startedAt)}</span>
          </li>
        ))}
      </ul>
      <BuildDetail key={current.id} build={current} log={model.follow(current.id)} model={model} />
    </div>
  );
}

function BuildDetail({ build, log, model }: { build: IBuild; log: BuildLog; model: IArielModel }): JSX.Element {
  const pre = React.useRef<HTMLPreElement>(null);
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
            {log.error && (
              <p className="jp-Ariel-error">
                {log.error.message}
                {log.error.hint && <span className="jp-Ariel-hint"> {log.error.hint}</span>}
              </p>
            )}
            <AutoScroll target={pre} dependency={log.lines.length} />
            <pre ref={pre} className="jp-Ariel-log" aria-label="Build log">
              {log.lines.join('\n')}
            </pre>
          </div>
        );
      }}
    </UseSignal>
  );
}

/** Keeps a log scrolled to its end while new lines arrive, unless the user scrolled up. */
function AutoScroll({ target, dependency }: { target: React.RefObject<HTMLElement>; dependency: number }): null {
  React.useLayoutEffect(() => {
    const element = target.current;
    if (element && element.scrollHeight - element.scrollTop - element.clientHeight < 48) {
      element.scrollTop = element.scrollHeight;
    }
  }, [dependency]);
  return null;
}
