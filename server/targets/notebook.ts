import { basename, extname } from 'node:path';
import { ArielError } from '../errors.js';
import { pythonNumber, type Experiment } from '../experiments/expand.js';
import { readTextFile } from '../project/read.js';

/**
 * Executes a notebook headless with nbclient, as papermill does: the job's `--name value` flags
 * become a new cell (tagged `injected-parameters`) after the cell tagged `parameters`, or at the
 * top when there is none; values are Python literals (anything else is a string, a bare flag is
 * True). The kernel is the image's own Python, whatever kernel the notebook names, started in the
 * notebook's folder with the code folder importable. The executed notebook is written after every
 * cell, so a failed or stopped job keeps what ran; `gs://B/P` is written through Vertex AI's Cloud
 * Storage mount, `/gcs/B/P`. Usage: python -c RUNNER NOTEBOOK OUTPUT [--name value]...
 */
const RUNNER = String.raw`
import ast, math, os, sys, warnings
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
source, output, *flags = sys.argv[1:]
if output.startswith("gs://"):
    output = "/gcs/" + output[5:]
params = {}
i = 0
while i < len(flags):
    name = flags[i][2:]
    if not flags[i].startswith("--") or not name.isidentifier():
        sys.exit("ariel: %r is not a --name flag; notebook parameters are --name value pairs" % flags[i])
    if i + 1 < len(flags) and not flags[i + 1].startswith("--"):
        try:
            params[name] = ast.literal_eval(flags[i + 1])
        except (ValueError, SyntaxError):
            params[name] = flags[i + 1]
        i += 2
    else:
        params[name] = True
        i += 1
def literal(value):
    if isinstance(value, float) and not math.isfinite(value):
        return "float(%r)" % str(value)
    return repr(value)
warnings.filterwarnings("ignore", message="Cell is missing an id")
nb = nbformat.read(source, as_version=4)
tagged = [n for n, cell in enumerate(nb.cells) if "parameters" in cell.get("metadata", {}).get("tags", [])]
if params:
    lines = ["# Parameters injected by Ariel"] + ["%s = %s" % (k, literal(v)) for k, v in params.items()]
    cell = nbformat.v4.new_code_cell("\n".join(lines), metadata={"tags": ["injected-parameters"]})
    at = tagged[0] + 1 if tagged else 0
    nb.cells.insert(at, cell)
    print("ariel: parameters injected %s: %s" % ("after the cell tagged parameters" if tagged else "at the top (no cell is tagged parameters)", ", ".join(lines[1:])), file=sys.stderr, flush=True)
folder = os.path.dirname(os.path.abspath(source))
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in [os.getcwd(), os.environ.get("PYTHONPATH")] if p)
os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
def save(**_):
    nbformat.write(nb, output)
def executed(cell, cell_index, **_):
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            (sys.stderr if out.get("name") == "stderr" else sys.stdout).write(out.get("text", ""))
    sys.stdout.flush()
    save()
client = NotebookClient(nb, kernel_name="python3", timeout=None, resources={"metadata": {"path": folder}}, on_cell_executed=executed)
try:
    client.execute()
except CellExecutionError as error:
    save()
    print(error, file=sys.stderr)
    print("ariel: the notebook failed; the executed notebook is in %s" % output, file=sys.stderr)
    sys.exit(1)
save()
print("ariel: executed notebook written to %s" % output, file=sys.stderr)
`.trimStart();

/** The command that executes a notebook (a path relative to the code folder) into `output`. */
export function notebookCommand(path: string, output: string): string[] {
  return ['python', '-c', RUNNER, path, output];
}

/** Python literal text of an experiment value, as the runner reads it back with ast.literal_eval. */
function pythonLiteral(value: Experiment[number][1]): string {
  if (typeof value === 'boolean') {
    return value ? 'True' : 'False';
  }
  if (typeof value === 'string') {
    // A JSON string literal is a Python string literal with the same value.
    return JSON.stringify(value);
  }
  const text = pythonNumber(value);
  // literal_eval takes no inf; an overflowing literal is the same float.
  return text === 'inf' ? '1e999' : text === '-inf' ? '-1e999' : text;
}

function parameterName(key: string, where: string): string {
  const name = key.replace(/^-+/, '');
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new ArielError(
      'experiment-config-invalid',
      `${where}: "${key}" cannot be a notebook parameter: it is not a Python variable name.`,
      'Name the variable of the notebook\'s "parameters" cell, e.g. learning_rate.'
    );
  }
  return name;
}

/**
 * A notebook job's flags for one experiment: `--name LITERAL` for every key, false included, so
 * the notebook gets the values with their types (a flag list for a script leaves false out).
 */
export function notebookArgs(experiment: Experiment): string[] {
  return experiment.flatMap(([key, value]) => [`--${parameterName(key, 'experiment config')}`, pythonLiteral(value)]);
}

/** Checks the arguments after `--` of a notebook job: `--name value` pairs or bare `--name` flags. */
export function checkNotebookArgs(args: string[]): void {
  args.forEach((arg, i) => {
    const isValue = i > 0 && args[i - 1].startsWith('--') && !arg.startsWith('--');
    if (!isValue) {
      if (!arg.startsWith('--')) {
        throw new ArielError(
          'usage',
          `"${arg}" is not a parameter for a notebook.`,
          'Give notebook parameters as --name value pairs (e.g. --epochs 3 --model "resnet").'
        );
      }
      parameterName(arg, 'arguments');
    }
  });
}

/** Where a notebook's values go: after its cell tagged `parameters`, or at the top (with a warning). */
export function parametersWarnings(notebookFile: string, displayPath: string): string[] {
  let cells: { metadata?: { tags?: unknown } }[];
  try {
    cells = (JSON.parse(readTextFile(notebookFile)) as { cells?: typeof cells }).cells ?? [];
  } catch (error) {
    if (error instanceof ArielError) {
      throw error;
    }
    throw new ArielError(
      'target-invalid',
      `${displayPath} is not a notebook: ${(error as Error).message}`,
      'Give a Jupyter notebook (.ipynb) saved by Jupyter.'
    );
  }
  const tagged = cells.some(cell => Array.isArray(cell.metadata?.tags) && cell.metadata.tags.includes('parameters'));
  return tagged
    ? []
    : [
        `${displayPath} has no cell tagged "parameters": the values are injected in a new cell at the top. Tag the cell that sets their defaults (View → Cell Toolbar → Tags in Jupyter) to inject them after it.`
      ];
}

/** The executed notebook's file name for a job: `train-GROUP-3.ipynb` for `train.ipynb`. */
export function executedNotebookName(path: string, jobName: string): string {
  return `${basename(path, extname(path))}-${jobName}.ipynb`;
}

/** Whether a run target names a notebook. */
export function isNotebookPath(target: string): boolean {
  return target.endsWith('.ipynb');
}

/** Each job's arguments for a target: a notebook's keep their values' types (see notebookArgs). */
export function jobArgsFor(target: string, loaded: { jobs: string[][]; experiments: Experiment[] }): string[][] {
  return isNotebookPath(target) ? loaded.experiments.map(notebookArgs) : loaded.jobs;
}
