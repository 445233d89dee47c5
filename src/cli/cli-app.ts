import { type App, createApp } from '../app/composition-root.js';
import { loadConfig } from '../config/config.js';
import { type Actor, cliActor } from '../domain/access.js';

/** The actor of CLI commands: the operator on this machine, named after the OS user. */
export function operator(): Actor {
  return cliActor(process.env.USER ?? process.env.USERNAME);
}

/**
 * Builds the app for a CLI command: in-process engine unless FACEGATE_ENGINE_WORKERS says otherwise. `pool`: the
 * engine's worker pool at its configured size (one worker per core by default), for commands that analyse many
 * photos (a folder import); FACEGATE_ENGINE_WORKERS still decides when set.
 */
export async function openCliApp(engine: 'in-process' | 'pool' = 'in-process'): Promise<App> {
  const workers = process.env.FACEGATE_ENGINE_WORKERS || engine === 'pool' ? undefined : 0;
  return createApp(loadConfig(process.env, { engine: { workers } }));
}

/** Runs `fn` over a freshly built app and closes it afterwards. */
export async function withApp<T>(
  fn: (app: App) => Promise<T>,
  engine: 'in-process' | 'pool' = 'in-process',
): Promise<T> {
  const app = await openCliApp(engine);
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}
