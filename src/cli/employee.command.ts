import type { Command } from 'commander';

/** Registers the `facegate` subcommands of this area. */
export function registerEmployeeCommands(_program: Command): void {}
