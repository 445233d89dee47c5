import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { toApiKeyDto } from '../api/dto/auth.dto.js';
import type { AuthServices } from '../auth/auth-services.js';
import { ROLES, type Role } from '../domain/access.js';
import { FacegateError } from '../domain/errors.js';
import type { Store } from '../store/store.port.js';
import { operator, withApp } from './cli-app.js';

/** Runs an account command over the app's auth services. */
function withAuth<T>(fn: (auth: AuthServices, store: Store) => Promise<T>): Promise<T> {
  return withApp((app) => fn(app.services.auth, app.store));
}

/** Reads a password: first line of stdin with `--password-stdin`, else a hidden prompt (twice) on a terminal. */
export async function readPassword(fromStdin: boolean): Promise<string> {
  if (fromStdin) {
    const lines = createInterface({ input: process.stdin });
    for await (const line of lines) {
      lines.close();
      return line.replace(/\r$/, '');
    }
    throw new FacegateError('VALIDATION_FAILED', 'No password on stdin');
  }
  if (!process.stdin.isTTY) {
    throw new FacegateError('VALIDATION_FAILED', 'No terminal: pass the password with --password-stdin');
  }
  const first = await promptHidden('Password: ');
  const second = await promptHidden('Repeat password: ');
  if (first !== second) throw new FacegateError('VALIDATION_FAILED', 'Passwords differ');
  return first;
}

function promptHidden(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
    const mutable = rl as unknown as { _writeToOutput: (s: string) => void };
    let prompted = false;
    mutable._writeToOutput = (s: string) => {
      // Echo the prompt once, never the typed characters.
      if (!prompted) {
        process.stdout.write(s);
        prompted = true;
      }
    };
    rl.question(question, (answer) => {
      rl.close();
      process.stdout.write('\n');
      resolve(answer);
    });
  });
}

function parseRole(value: string): Role {
  if (!(ROLES as readonly string[]).includes(value)) {
    throw new FacegateError('VALIDATION_FAILED', `role must be one of ${ROLES.join(', ')}`);
  }
  return value as Role;
}

/** Registers `facegate admin create|reset-password` and `facegate keys create|list|revoke`. */
export function registerAdminCommands(program: Command): void {
  registerUserCommands(program);
  registerKeyCommands(program);
}

function registerUserCommands(program: Command): void {
  const admin = program.command('admin').description('Administrator accounts (no default password exists)');
  admin
    .command('create')
    .description(
      'Create a user (the first admin on a fresh install); the password is prompted or read from stdin',
    )
    .requiredOption('-u, --username <name>', 'username')
    .option('-r, --role <role>', `role: ${ROLES.join(', ')}`, 'admin')
    .option('--password-stdin', 'read the password from the first line of stdin')
    .action(async (opts: { username: string; role: string; passwordStdin?: boolean }) => {
      const role = parseRole(opts.role);
      const password = await readPassword(opts.passwordStdin === true);
      const user = await withAuth((auth) =>
        auth.users.create(operator(), { username: opts.username, password, role }),
      );
      process.stdout.write(`Created ${user.role} "${user.username}" (${user.id})\n`);
    });
  admin
    .command('reset-password')
    .description("Set a user's password and end their sessions")
    .argument('<username>')
    .option('--password-stdin', 'read the password from the first line of stdin')
    .action(async (username: string, opts: { passwordStdin?: boolean }) => {
      const password = await readPassword(opts.passwordStdin === true);
      await withAuth((auth) => auth.users.resetPassword(operator(), username, password));
      process.stdout.write(`Password of "${username}" reset; their sessions were ended\n`);
    });
}

function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('API keys for kiosks and integrations');
  keys
    .command('create')
    .description('Create an API key; its secret is printed once')
    .requiredOption('-n, --name <name>', 'a name to recognise the key (e.g. "front door")')
    .option('-r, --role <role>', `role: ${ROLES.join(', ')}`, 'kiosk')
    .option('--json', 'print JSON')
    .action(async (opts: { name: string; role: string; json?: boolean }) => {
      const role = parseRole(opts.role);
      const { key, secret } = await withAuth((auth) =>
        auth.apiKeys.create(operator(), { name: opts.name, role }),
      );
      if (opts.json) {
        process.stdout.write(
          `${JSON.stringify({ id: key.id, name: key.name, role: key.role, prefix: key.prefix, secret })}\n`,
        );
      } else {
        process.stdout.write(
          `Created ${key.role} key "${key.name}" (${key.id}). Secret, shown only now:\n\n  ${secret}\n\n`,
        );
      }
    });
  keys
    .command('list')
    .description('List API keys (never their secrets)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const list = await withAuth((auth) => auth.apiKeys.list(operator()));
      const rows = list.map(toApiKeyDto);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      for (const k of rows) {
        process.stdout.write(
          `${k.id}  fg_${k.prefix}_…  ${k.role.padEnd(8)}  ${k.name}  last used ${k.lastUsedAt ?? 'never'}${k.revokedAt ? `  REVOKED ${k.revokedAt}` : ''}\n`,
        );
      }
      if (rows.length === 0) process.stdout.write('No API keys\n');
    });
  keys
    .command('revoke')
    .description('Revoke an API key by id or prefix')
    .argument('<idOrPrefix>')
    .action(async (idOrPrefix: string) => {
      await withAuth(async (auth, store) => {
        const key = (await store.apiKeys.get(idOrPrefix)) ?? (await store.apiKeys.getByPrefix(idOrPrefix));
        if (!key) throw new FacegateError('NOT_FOUND', 'API key not found');
        await auth.apiKeys.revoke(operator(), key.id);
        process.stdout.write(`Revoked key "${key.name}" (fg_${key.prefix}_…)\n`);
      });
    });
}
