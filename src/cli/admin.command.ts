import type { Command } from 'commander';

/** Registers the `facegate` subcommands of this area. */
export function registerAdminCommands(_program: Command): void {}
