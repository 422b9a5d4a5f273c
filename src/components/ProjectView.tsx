import * as React from 'react';
import { describeRunSettings, runSettingsSummary } from '../drift';
import type { IArielModel } from '../tokens';
import { ErrorText } from './Messages';

/** What Ariel makes of the folder the file browser shows: project root, config, dependency files, problems. */
export function ProjectView({ model }: { model: IArielModel }): JSX.Element {
  const { project, projectError } = model;
  if (projectError) {
    return <p className="jp-Ariel-error">{projectError}</p>;
  }
  if (!project) {
    return <p className="jp-Ariel-muted">Loading the project…</p>;
  }
  return (
    <div className="jp-Ariel-project">
      <dl>
        <dt>Project</dt>
        <dd title={project.root || '/'}>{project.name}</dd>
        <dt>Root</dt>
        <dd>{project.root || '/'}</dd>
        <dt>Config</dt>
        <dd>{project.configFile ?? 'none (defaults)'}</dd>
        <dt>Dependencies</dt>
        <dd>{project.dependencyFiles.length ? project.dependencyFiles.join(', ') : 'none found'}</dd>
      </dl>
      {project.runSettings && (
        <details className="jp-Ariel-runSettings">
          <summary title="What Ariel's containers of this project get at run time (.ariel.json's &quot;run&quot; key and your user config); never part of an image">
            <span className="jp-Ariel-muted">Run: </span>
            {runSettingsSummary(project.runSettings)}
          </summary>
          <dl>
            {describeRunSettings(project.runSettings).map(([label, value]) => (
              <React.Fragment key={label}>
                <dt>{label}</dt>
                <dd title={value}>{value}</dd>
              </React.Fragment>
            ))}
          </dl>
        </details>
      )}
      {project.error && <ErrorText error={project.error} />}
      {project.warnings.map(warning => (
        <p key={warning} className="jp-Ariel-warning">
          {warning}
        </p>
      ))}
    </div>
  );
}
