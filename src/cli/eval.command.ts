import type { Command } from 'commander';

/** Registers the `facegate` subcommands of this area. */
export function registerEvalCommands(_program: Command): void {}
