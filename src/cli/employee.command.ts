import { readFile, writeFile } from 'node:fs/promises';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { toEmployeeDto } from '../api/dto/employee.dto.js';
import type { App } from '../app/composition-root.js';
import { FacegateError } from '../domain/errors.js';
import type { Employee, EmployeeStatus } from '../domain/models.js';
import {
  type ImportRow,
  type ImportSummary,
  importInFlight,
  isDirectory,
  planImport,
  rejectionReportCsv,
  runImport,
} from '../services/bulk-import.js';
import type { EnrollmentResult } from '../services/enrollment.service.js';
import type { MatchResult } from '../services/identification.service.js';
import { FolderWatcher } from '../services/watch-folder.js';
import { operator, withApp } from './cli-app.js';

/** Exit codes of `identify` / `verify` besides 0 (match), 1 (crash) and 2 (error with a code). */
export const EXIT_NO_MATCH = 3;
export const EXIT_RETRY = 4;

function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

function json(value: unknown): void {
  out(JSON.stringify(value, null, 2));
}

/** Left-aligned plain-text table. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max([...h].length, ...rows.map((r) => [...(r[i] ?? '')].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c + ' '.repeat(Math.max(0, (widths[i] ?? 0) - [...c].length)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0)
      throw new FacegateError('VALIDATION_FAILED', `${name} must be an integer`);
    return n;
  };
}

async function readPhoto(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new FacegateError('IMAGE_MISSING', `Cannot read ${path}`, { path }, { cause });
  }
}

function printEnrollment(r: EnrollmentResult): void {
  if (r.employee) {
    out(
      `${r.created ? 'Created' : 'Updated'} ${r.employee.badge} ${r.employee.firstName} ${r.employee.lastName} (${r.employee.id}); ${r.added} template(s) added`,
    );
  } else out('No employee created: no photo was accepted');
  for (const p of r.photos) {
    const status = p.accepted ? (p.alreadyEnrolled ? 'already enrolled' : 'accepted') : 'rejected';
    const why = p.reasons.map((x) => `${x.code} (${x.message})`).join('; ');
    out(`  ${p.file ?? '-'}: ${status}${why ? ` — ${why}` : ''}`);
  }
}

function printDecision(r: MatchResult): void {
  const who = r.employee ? `${r.employee.badge} ${r.employee.firstName} ${r.employee.lastName}` : '';
  out(`decision:  ${r.decision.toUpperCase()}${who ? ` — ${who}` : ''}`);
  out(`score:     ${r.score ?? '-'} (threshold ${r.threshold}, preset ${r.preset})`);
  if (r.secondBest !== null) out(`runner-up: ${r.secondBest} (margin ${r.margin})`);
  for (const reason of r.reasons ?? []) out(`reason:    ${reason.code} — ${reason.message}`);
  out(`engine:    ${r.engine.model}@${r.engine.version}; ${r.timings.total} ms`);
}

function decisionExit(r: MatchResult): void {
  process.exitCode = r.decision === 'match' ? 0 : r.decision === 'retry' ? EXIT_RETRY : EXIT_NO_MATCH;
}

/** Progress on stderr: a bar on a terminal, one line per finished photo otherwise (for logs and supervisors). */
function progressReporter(enabled: boolean) {
  if (!enabled) return { update: (_d: number, _t: number, _r: ImportRow[]) => {}, stop: () => {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: 'enroll [{bar}] {value}/{total} photos | {eta_formatted} left', stream: process.stderr },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update: (done: number, total: number) => {
        if (!started) {
          bar.start(total, 0);
          started = true;
        }
        bar.update(done);
      },
      stop: () => {
        if (started) bar.stop();
      },
    };
  }
  return {
    update: (done: number, total: number, rows: ImportRow[]) => {
      for (const r of rows) {
        const status = r.accepted ? (r.alreadyEnrolled ? 'already-enrolled' : 'enrolled') : 'rejected';
        process.stderr.write(`enroll ${done}/${total} ${status} ${r.file}\n`);
      }
    },
    stop: () => {},
  };
}

function printSummary(s: ImportSummary): void {
  out(
    table(
      ['files', 'employees created', 'photos added', 'already enrolled', 'rejected'],
      [[s.files, s.employeesCreated, s.photosAdded, s.alreadyEnrolled, s.rejected].map(String)],
    ),
  );
  const rejected = s.rows.filter((r) => !r.accepted);
  if (rejected.length > 0) {
    out('\nRejected photos:');
    out(
      table(
        ['file', 'badge', 'reasons'],
        rejected.map((r) => [r.file, r.badge, r.reasons.map((x) => x.code).join(', ')]),
      ),
    );
  }
}

/** Runs a watch folder until SIGINT/SIGTERM. */
async function watch(app: App, dir: string, options: { force?: boolean; json?: boolean; interval: number }) {
  const watcher = new FolderWatcher(app.services.enrollment, dir, {
    actor: operator(),
    force: options.force,
    allowExisting: app.config.operations.watchAllowExisting,
    intervalMs: options.interval,
    onOutcome: (o) => {
      if (options.json) out(JSON.stringify(o));
      else {
        const status = o.accepted ? (o.alreadyEnrolled ? 'already enrolled' : 'enrolled') : 'rejected';
        out(`${o.file}: ${status}${o.reasons.length ? ` — ${o.reasons.map((r) => r.code).join(', ')}` : ''}`);
      }
    },
  });
  const stop = () => {
    process.stderr.write('stopping watch…\n');
    void watcher.stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.stderr.write(`watching ${dir} (Ctrl-C to stop)\n`);
  try {
    await watcher.run();
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** Registers `facegate employees …`, `facegate enroll`, `facegate identify` and `facegate verify`. */
export function registerEmployeeCommands(program: Command): void {
  const employees = program.command('employees').description('Manage enrolled employees');
  addListCommand(employees);
  addShowCommand(employees);
  addCreateCommand(employees);
  addDeleteCommand(employees);
  addStatusCommands(employees);
  addEnrollCommand(program);
  addMatchCommands(program);
}

function addListCommand(employees: Command): void {
  employees
    .command('list')
    .description('List employees')
    .option('--search <text>', 'search badge, names, e-mail')
    .option('--status <status>', 'active or suspended')
    .option('--limit <n>', 'page size (1-500)', positiveInt('--limit'), 50)
    .option('--offset <n>', 'skip this many', positiveInt('--offset'), 0)
    .option('--json', 'machine-readable output')
    .action(
      async (o: {
        search?: string;
        status?: EmployeeStatus;
        limit: number;
        offset: number;
        json?: boolean;
      }) => {
        await withApp(async (app) => {
          const page = await app.services.employees.list(o, operator());
          if (o.json) return json({ total: page.total, items: page.items.map(toEmployeeDto) });
          out(employeeTable(page.items));
          out(`${page.items.length} of ${page.total}`);
        });
      },
    );
}

function employeeTable(items: Employee[]): string {
  return table(
    ['badge', 'first name', 'last name', 'department', 'status', 'id'],
    items.map((e) => [
      e.badge,
      e.firstName,
      e.lastName,
      e.department ?? '',
      e.status + (e.faceLoginLocked ? ' (locked)' : ''),
      e.id,
    ]),
  );
}

function addShowCommand(employees: Command): void {
  employees
    .command('show <idOrBadge>')
    .description('Show an employee and its face templates')
    .option('--json', 'machine-readable output')
    .action(async (idOrBadge: string, o: { json?: boolean }) => {
      await withApp(async (app) => {
        const d = await app.services.employees.getDetails(idOrBadge, operator());
        if (o.json) return json({ employee: toEmployeeDto(d.employee), templates: d.templates });
        printDetails(d);
      });
    });
}

type EmployeeDetails = Awaited<ReturnType<App['services']['employees']['getDetails']>>;

function printDetails(d: EmployeeDetails): void {
  const e = d.employee;
  out(`${e.badge}  ${e.firstName} ${e.lastName}  (${e.id})`);
  out(`email: ${e.email ?? '-'}  department: ${e.department ?? '-'}  role: ${e.role ?? '-'}`);
  out(`status: ${e.status}${e.faceLoginLocked ? ', face login locked' : ''}  created ${e.createdAt}`);
  if (d.templates.length === 0) {
    out('no face templates: enroll photos to enable face login');
    return;
  }
  out(
    table(
      ['template', 'model', 'face px', 'sharpness', 'yaw', 'photo', 'created'],
      d.templates.map((t) => [
        t.id,
        `${t.model}@${t.modelVersion}`,
        String(Math.round(t.quality.faceSize)),
        t.quality.sharpness.toFixed(3),
        t.quality.yaw.toFixed(1),
        t.hasPhoto ? 'kept' : '-',
        t.createdAt,
      ]),
    ),
  );
}

interface CreateOptions {
  badge: string;
  first: string;
  last: string;
  email?: string;
  department?: string;
  role?: string;
  photo?: string[];
  force?: boolean;
  json?: boolean;
}

function addCreateCommand(employees: Command): void {
  employees
    .command('add')
    .description('Create an employee, optionally enrolling photos (then created only if a photo is accepted)')
    .requiredOption('--badge <badge>', 'employee number / badge id')
    .requiredOption('--first <name>', 'first name')
    .requiredOption('--last <name>', 'last name')
    .option('--email <email>')
    .option('--department <department>')
    .option('--role <role>', 'free-form role for access rules')
    .option('--photo <file...>', 'enrollment photo(s)')
    .option('--force', 'accept faces matching another employee')
    .option('--json', 'machine-readable output')
    .action((o: CreateOptions) => withApp((app) => createEmployee(app, o)));
}

async function createEmployee(app: App, o: CreateOptions): Promise<void> {
  const input = {
    badge: o.badge,
    firstName: o.first,
    lastName: o.last,
    email: o.email,
    department: o.department,
    role: o.role,
  };
  if (!o.photo?.length) {
    const e = await app.services.employees.create(input, operator());
    return o.json ? json(toEmployeeDto(e)) : out(`Created ${e.badge} ${e.firstName} ${e.lastName} (${e.id})`);
  }
  const photos = await Promise.all(o.photo.map(async (file) => ({ file, bytes: await readPhoto(file) })));
  const r = await app.services.enrollment.enrollByBadge(input, photos, operator(), { force: o.force });
  if (o.json) json({ ...r, employee: r.employee ? toEmployeeDto(r.employee) : null });
  else printEnrollment(r);
  if (r.added === 0 && !r.photos.some((p) => p.accepted)) process.exitCode = 2;
}

function addDeleteCommand(employees: Command): void {
  employees
    .command('delete <idOrBadge>')
    .description('Erase an employee: record, templates, photos and index entry, verified')
    .option('--json', 'machine-readable output')
    .action(async (idOrBadge: string, o: { json?: boolean }) => {
      await withApp(async (app) => {
        const report = await app.services.erasure.deleteEmployee(idOrBadge, operator());
        if (o.json) return json(report);
        out(
          `Erased ${report.badge} (${report.employeeId}): ${report.templatesDeleted} template(s), ${report.photosDeleted} photo(s), ${report.galleryEntriesRemoved} index entr(ies); verified nothing remains`,
        );
      });
    });
}

function addStatusCommands(employees: Command): void {
  for (const [name, description] of [
    ['suspend', 'Suspend an employee (never matches)'],
    ['reactivate', 'Reactivate a suspended employee'],
    ['unlock', 'Clear the face-login lock set by the lockout hard cap'],
  ] as const) {
    employees
      .command(`${name} <idOrBadge>`)
      .description(description)
      .option('--json', 'machine-readable output')
      .action(async (idOrBadge: string, o: { json?: boolean }) => {
        await withApp(async (app) => {
          const s = app.services.employees;
          const e =
            name === 'suspend'
              ? await s.suspend(idOrBadge, operator())
              : name === 'reactivate'
                ? await s.reactivate(idOrBadge, operator())
                : await s.clearFaceLoginLock(idOrBadge, operator());
          if (o.json) return json(toEmployeeDto(e));
          out(`${e.badge}: ${e.status}${e.faceLoginLocked ? ', face login locked' : ''}`);
        });
      });
  }
}

interface EnrollOptions {
  watch?: boolean;
  report?: string;
  force?: boolean;
  interval: number;
  json?: boolean;
}

function addEnrollCommand(program: Command): void {
  program
    .command('enroll <dir>')
    .description(
      'Enroll a folder: <badge>_<First>_<Last>[_n].jpg files or a manifest.csv; --watch keeps watching',
    )
    .option('--watch', 'enroll files dropped into the folder until interrupted')
    .option('--report <file.csv>', 'write every rejected photo and its reasons to a CSV file')
    .option('--force', 'accept faces matching another employee')
    .option('--interval <ms>', 'watch polling period', positiveInt('--interval'), 1000)
    .option('--json', 'machine-readable output')
    .action(async (dir: string, o: EnrollOptions) => {
      if (!(await isDirectory(dir))) throw new FacegateError('NOT_FOUND', `No such folder: ${dir}`);
      await withApp((app) => (o.watch ? watch(app, dir, o) : enrollFolder(app, dir, o)));
    });
}

/** Enrolls a folder once; SIGINT/SIGTERM stop after the photo in progress (exit 130). */
async function enrollFolder(app: App, dir: string, o: EnrollOptions): Promise<void> {
  const plan = await planImport(dir);
  const progress = progressReporter(true);
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  let summary: ImportSummary;
  try {
    summary = await runImport(app.services.enrollment, dir, plan, operator(), {
      force: o.force,
      inFlight: importInFlight(app.config.engine.workers),
      signal: controller.signal,
      onProgress: progress.update,
    });
  } finally {
    progress.stop();
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
  if (o.report) await writeFile(o.report, rejectionReportCsv(summary.rows), 'utf8');
  if (o.json) json({ ...summary, interrupted: controller.signal.aborted });
  else printSummary(summary);
  if (controller.signal.aborted) process.exitCode = 130;
}

function addMatchCommands(program: Command): void {
  program
    .command('identify <photo>')
    .description('Who is this? 1:N identification (exit 0 match, 3 no match, 4 retry)')
    .option('--json', 'machine-readable output')
    .action(async (photo: string, o: { json?: boolean }) => {
      const bytes = await readPhoto(photo);
      await withApp(async (app) => {
        reportDecision(await app.services.identification.identify(bytes, operator()), o.json);
      });
    });

  program
    .command('verify <idOrBadge> <photo>')
    .description('Is this the employee? 1:1 verification (exit 0 match, 3 no match, 4 retry)')
    .option('--json', 'machine-readable output')
    .action(async (idOrBadge: string, photo: string, o: { json?: boolean }) => {
      const bytes = await readPhoto(photo);
      await withApp(async (app) => {
        reportDecision(await app.services.identification.verify(idOrBadge, bytes, operator()), o.json);
      });
    });
}

function reportDecision(r: MatchResult, asJson: boolean | undefined): void {
  if (asJson) json(r);
  else printDecision(r);
  decisionExit(r);
}
