import type { Command } from 'commander';

/** Registers the `facegate` subcommands of this area. */
export function registerServeCommands(_program: Command): void {}
