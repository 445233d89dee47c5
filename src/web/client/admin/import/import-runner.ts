/** Runs an import plan against the API, batch by batch, and collects what happened to every file and person. */
import { errorParts, plainText } from '../../shared/error-text.js';
import { enrollByBadge } from '../admin-api.js';
import type { ImportPerson, ImportPlan, ReportRow } from './import-plan.js';

/** An employee the import created or added photos to. */
export interface ImportedPerson {
  id: string;
  badge: string;
  name: string;
  created: boolean;
  accepted: number;
}

/** Progress of a running import: every photo sent, and how many of those failed. */
export interface ImportProgress {
  done: number;
  total: number;
  accepted: number;
  failed: number;
}

/** What an import did. */
export interface ImportOutcome {
  rows: ReportRow[];
  people: ImportedPerson[];
}

/** Small batches keep each request well under the body limit and the progress bar moving. */
const BATCH = 3;

async function importPerson(
  person: ImportPerson,
  rows: ReportRow[],
  people: ImportedPerson[],
  onBatch: (accepted: number, failed: number) => void,
): Promise<void> {
  const name = `${person.firstName} ${person.lastName}`;
  const fields = {
    badge: person.badge,
    firstName: person.firstName,
    lastName: person.lastName,
    email: person.email,
    department: person.department,
  };
  for (let i = 0; i < person.photos.length; i += BATCH) {
    const batch = person.photos.slice(i, i + BATCH);
    let accepted = 0;
    try {
      const photos = batch.map((f) => ({ name: f.name.split('/').pop() ?? f.name, blob: f.blob }));
      const result = await enrollByBadge(fields, photos);
      batch.forEach((f, j) => {
        const r = result.photos[j];
        if (r?.accepted) accepted++;
        rows.push({
          file: f.name,
          badge: person.badge,
          name,
          outcome: r?.accepted ? 'accepted' : 'rejected',
          reason: r ? r.reasons.map((x) => `${x.code}: ${x.message}`).join('; ') : 'no answer',
          plain: r?.reasons.map((x) => plainText(x.code, x.message)).join(' '),
        });
      });
      if (result.employee)
        notePerson(people, result.employee.id, person.badge, name, result.created, accepted);
    } catch (e) {
      const { text, detail } = errorParts(e);
      for (const f of batch)
        rows.push({
          file: f.name,
          badge: person.badge,
          name,
          outcome: 'error',
          reason: detail || text,
          plain: text,
        });
    }
    onBatch(accepted, batch.length - accepted);
  }
}

function notePerson(
  people: ImportedPerson[],
  id: string,
  badge: string,
  name: string,
  created: boolean,
  accepted: number,
): void {
  const known = people.find((p) => p.id === id);
  if (known) {
    known.accepted += accepted;
    known.created ||= created;
  } else if (accepted > 0) people.push({ id, badge, name, created, accepted });
}

/**
 * Imports every person of the plan. The server creates a new badge only with its first accepted photo: a person
 * whose photos are all refused is not added. `onProgress` counts failures too, so a run where everything fails
 * never looks like a success.
 */
export async function runImport(
  plan: ImportPlan,
  onProgress: (progress: ImportProgress) => void,
): Promise<ImportOutcome> {
  const rows: ReportRow[] = plan.problems.map((p) => ({
    file: p.file,
    badge: '',
    name: '',
    outcome: 'skipped',
    reason: p.message,
  }));
  const people: ImportedPerson[] = [];
  const progress: ImportProgress = {
    done: 0,
    total: plan.people.reduce((n, p) => n + p.photos.length, 0),
    accepted: 0,
    failed: 0,
  };
  onProgress({ ...progress });
  for (const person of plan.people) {
    await importPerson(person, rows, people, (accepted, failed) => {
      progress.done += accepted + failed;
      progress.accepted += accepted;
      progress.failed += failed;
      onProgress({ ...progress });
    });
  }
  return { rows, people };
}
