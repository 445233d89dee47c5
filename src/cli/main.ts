import { Command } from 'commander';
import { registerAdminCommands } from './admin.command.js';
import { registerDataKeyCommands } from './data-keys.command.js';
import { registerEmployeeCommands } from './employee.command.js';
import { registerEngineCommands } from './engine.command.js';
import { registerEvalCommands } from './eval.command.js';
import { registerEvalLivenessCommand } from './eval-liveness.command.js';
import { registerMigrateCommands } from './migrate.command.js';
import { runCli } from './run-cli.js';
import { registerServeCommands } from './serve.command.js';
import { registerTemplateCommands } from './templates.command.js';
import { registerTransferCommands } from './transfer.command.js';

const program = new Command('facegate')
  .description('Face-recognition authentication for employees')
  .showHelpAfterError();

registerEngineCommands(program);
registerEvalCommands(program);
registerEvalLivenessCommand(program);
registerEmployeeCommands(program);
registerAdminCommands(program);
registerServeCommands(program);
registerDataKeyCommands(program);
registerTemplateCommands(program);
registerMigrateCommands(program);
registerTransferCommands(program);

await runCli(program, process.argv);
