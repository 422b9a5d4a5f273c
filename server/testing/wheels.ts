import { execFileSync } from 'node:child_process';

/**
 * Makes a pure-Python wheel of `name` at `version` in `dir` (its module holds the version), with
 * the machine's Python: what a test installs into a kernel (`%pip install`) without an index.
 * Returns the wheel's file name.
 */
export function makeWheel(dir: string, name: string, version: string): string {
  const script = `
import base64, hashlib, sys, zipfile
name, version, out = sys.argv[1:]
dist = f"{name}-{version}.dist-info"
files = {
    f"{name}/__init__.py": f"VERSION = {version!r}\\n",
    f"{dist}/METADATA": f"Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n",
    f"{dist}/WHEEL": "Wheel-Version: 1.0\\nGenerator: ariel-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
def digest(text):
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
files[f"{dist}/RECORD"] = "".join(f"{p},sha256={digest(c)},{len(c.encode())}\\n" for p, c in files.items()) + f"{dist}/RECORD,,\\n"
with zipfile.ZipFile(f"{out}/{name}-{version}-py3-none-any.whl", "w") as z:
    for p, c in files.items():
        z.writestr(p, c)
`;
  execFileSync('python3', ['-c', script, name, version, dir]);
  return `${name}-${version}-py3-none-any.whl`;
}
