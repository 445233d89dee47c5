import { chromiumPath, chromiumProblem } from './chromium-check.js';

/**
 * Vitest global set-up of the e2e project: ends the run before any test when there is no browser, with one line
 * instead of a `browserType.launch` stack trace at the end of a long run. It exits rather than throws: vitest
 * would bury a thrown error under "No test files found" and a listing of every project.
 */
export default async function checkBrowser(): Promise<void> {
  const problem = await chromiumProblem(chromiumPath());
  if (problem === undefined) return;
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
