import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ArielError } from '../errors.js';

/** A value and where it was found, e.g. `$PROJECT_ID` or gcloud's configuration `default`. */
export interface Found {
  value: string;
  source: string;
}

export interface CloudDefaults {
  projectId?: Found;
  region?: Found;
  /** The places looked at for each, in order, as an error names them. */
  looked: { projectId: string[]; region: string[] };
}

/**
 * gcloud's configuration folder: `$CLOUDSDK_CONFIG`, else `~/.config/gcloud` (as gcloud itself
 * finds it on Linux and macOS).
 */
export function gcloudConfigDir(env: NodeJS.ProcessEnv, home = homedir()): string {
  return env.CLOUDSDK_CONFIG || join(home, '.config', 'gcloud');
}

/** The `[section] key = value` pairs of an INI file, as gcloud writes its configurations. */
export function parseIni(text: string): Record<string, Record<string, string>> {
  const sections: Record<string, Record<string, string>> = {};
  let section: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) {
      continue;
    }
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = sections[header[1].trim()] ??= {};
      continue;
    }
    const eq = line.search(/[=:]/);
    if (section && eq > 0) {
      section[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
    }
  }
  return sections;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The Google Cloud project and Vertex AI region a cloud command uses when none is given, as
 * Caliban finds them: `$PROJECT_ID` and `$REGION` first, then `$GOOGLE_CLOUD_PROJECT` for the
 * project, then gcloud's configured `core/project` and `compute/region` (its `CLOUDSDK_*`
 * variables, then the active configuration's file). gcloud's files are read, never gcloud run.
 */
export function cloudDefaults(env: NodeJS.ProcessEnv = process.env, home = homedir()): CloudDefaults {
  const dir = gcloudConfigDir(env, home);
  const active = env.CLOUDSDK_ACTIVE_CONFIG_NAME || readText(join(dir, 'active_config'))?.trim() || 'default';
  const file = join(dir, 'configurations', `config_${active}`);
  const ini = parseIni(readText(file) ?? '');
  const inFile = `gcloud's configuration "${active}" (${file})`;
  const pick = (candidates: [string | undefined, string][]): Found | undefined => {
    for (const [value, source] of candidates) {
      if (value?.trim()) {
        return { value: value.trim(), source };
      }
    }
    return undefined;
  };
  const projectCandidates: [string | undefined, string][] = [
    [env.PROJECT_ID, '$PROJECT_ID'],
    [env.GOOGLE_CLOUD_PROJECT, '$GOOGLE_CLOUD_PROJECT'],
    [env.CLOUDSDK_CORE_PROJECT, '$CLOUDSDK_CORE_PROJECT'],
    [ini.core?.project, `core/project in ${inFile}`]
  ];
  const regionCandidates: [string | undefined, string][] = [
    [env.REGION, '$REGION'],
    [env.CLOUDSDK_COMPUTE_REGION, '$CLOUDSDK_COMPUTE_REGION'],
    [ini.compute?.region, `compute/region in ${inFile}`]
  ];
  return {
    projectId: pick(projectCandidates),
    region: pick(regionCandidates),
    looked: {
      projectId: projectCandidates.map(([, source]) => source),
      region: regionCandidates.map(([, source]) => source)
    }
  };
}

/**
 * The project and region for a cloud command: the flags given, else the defaults. A missing one
 * is an error that names every place looked at.
 */
export function resolveCloudTarget(
  given: { projectId?: string; region?: string },
  env: NodeJS.ProcessEnv = process.env,
  home = homedir()
): { projectId: string; region: string } {
  const defaults = cloudDefaults(env, home);
  const projectId = given.projectId || defaults.projectId?.value;
  const region = given.region || defaults.region?.value;
  if (!projectId) {
    throw new ArielError(
      'usage',
      `No Google Cloud project given, and none found in ${defaults.looked.projectId.join(', ')}.`,
      'Pass --project-id PROJECT, set $PROJECT_ID, or run: gcloud config set project PROJECT'
    );
  }
  if (!region) {
    throw new ArielError(
      'usage',
      `No Vertex AI region given, and none found in ${defaults.looked.region.join(', ')}.`,
      'Pass --region REGION (e.g. us-central1), set $REGION, or run: gcloud config set compute/region REGION'
    );
  }
  return { projectId, region };
}
