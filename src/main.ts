import { startServer } from './app/server-lifecycle.js';
import { loadConfig } from './config/config.js';
import { isFacegateError } from './domain/errors.js';

// `npm start`: development defaults on a fresh clone, generated keys under ./data.
try {
  await startServer(loadConfig(process.env));
} catch (error) {
  // A configuration problem is a message for the operator, not a stack trace.
  process.stderr.write(
    isFacegateError(error)
      ? `${error.code}: ${error.message}\n`
      : `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(isFacegateError(error) ? 2 : 1);
}
