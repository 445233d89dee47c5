import { type App, createApp } from '../app/composition-root.js';
import { loadConfig } from '../config/config.js';
import { type Actor, cliActor } from '../domain/access.js';

/** The actor of CLI commands: the operator on this machine, named after the OS user. */
export function operator(): Actor {
  return cliActor(process.env.USER ?? process.env.USERNAME);
}

/** Builds the app for a CLI command: in-process engine unless FACEGATE_ENGINE_WORKERS says otherwise. */
export async function openCliApp(): Promise<App> {
  const workers = process.env.FACEGATE_ENGINE_WORKERS ? undefined : 0;
  return createApp(loadConfig(process.env, { engine: { workers } }));
}

/** Runs `fn` over a freshly built app and closes it afterwards. */
export async function withApp<T>(fn: (app: App) => Promise<T>): Promise<T> {
  const app = await openCliApp();
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}
