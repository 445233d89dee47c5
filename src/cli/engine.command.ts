import type { Command } from 'commander';

/** Registers the `facegate` subcommands of this area. */
export function registerEngineCommands(_program: Command): void {}
