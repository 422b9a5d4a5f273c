/**
 * Keys of Caliban's config that Ariel accepts (in `.calibanconfig.json` and `.ariel.json`) and
 * does not act on, each with what to do instead: a migrating user learns that the key was read
 * and why it changes nothing.
 */
export const CALIBAN_IGNORED_KEYS: Readonly<Record<string, string>> = {
  mlflow_config:
    'Ariel starts no Cloud SQL proxy for MLflow; name your tracking server in the "mlflow" key instead ({"mlflow": {"tracking_uri": "https://…", "experiment": "…"}}), and local runs and cloud jobs get MLFLOW_TRACKING_URI, MLFLOW_EXPERIMENT_NAME and MLFLOW_RUN_NAME.',
  julia_version: 'Ariel installs no Julia; use a base_image that has it, or install it with apt_packages.',
  default_mode:
    'Ariel builds the CPU image unless a command is given --gpu; pass --gpu where Caliban used default_mode "gpu".',
  build_time_credentials:
    'Ariel never puts credentials into an image; cloud credentials are given to containers at run time.'
};

/** Keys Ariel reads from a Caliban config (the schema's); any other key is ignored with a warning. */
export function calibanWarnings(raw: unknown, known: readonly string[], file: string): string[] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return [];
  }
  return Object.keys(raw).flatMap(key => {
    if (Object.hasOwn(CALIBAN_IGNORED_KEYS, key)) {
      return [`${file}: "${key}" is ignored. ${CALIBAN_IGNORED_KEYS[key]}`];
    }
    return known.includes(key) ? [] : [`${file}: "${key}" is not a key Ariel knows; it is ignored.`];
  });
}
