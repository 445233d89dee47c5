import { startServer } from './cli/serve.command.js';

// `npm start`: development defaults on a fresh clone, generated keys under ./data.
await startServer();
