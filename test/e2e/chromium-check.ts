import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';

/** Where the e2e tests look for Chromium when `FACEGATE_CHROMIUM` is not set: Debian's package. */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/** The Chromium binary the e2e tests drive: `FACEGATE_CHROMIUM`, else Debian's `/usr/bin/chromium`. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.FACEGATE_CHROMIUM || DEFAULT_CHROMIUM;
}

/**
 * Why `path` cannot be used as the e2e browser, in one line that says how to fix it; `undefined` when it is an
 * executable file.
 */
export async function chromiumProblem(path: string): Promise<string | undefined> {
  const fix = 'install it (apt-get install chromium) or set FACEGATE_CHROMIUM to a Chromium binary';
  try {
    if (!(await stat(path)).isFile()) return `e2e tests need Chromium: ${path} is not a file; ${fix}`;
    await access(path, constants.X_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? 'not found' : code === 'EACCES' ? 'not executable' : String(code);
    return `e2e tests need Chromium: ${path} ${what}; ${fix}`;
  }
}
