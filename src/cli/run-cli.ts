import type { Command } from 'commander';
import { isFacegateError } from '../domain/errors.js';

/**
 * Parses argv and runs the chosen command; a FacegateError prints `CODE: message` and exits 2,
 * anything else prints its stack and exits 1.
 */
export async function runCli(program: Command, argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (isFacegateError(error)) {
      process.stderr.write(`${error.code}: ${error.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    }
  }
}
