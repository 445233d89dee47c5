import { useState } from 'preact/hooks';
import { isManifestName } from '../../../../services/bulk-import.parser.js';
import { errorMessage } from '../../shared/api.js';
import { enrollByBadge } from '../admin-api.js';
import {
  type ImportFile,
  type ImportPlan,
  planImport,
  type ReportRow,
  reportCsv,
} from '../import/import-plan.js';
import { readZip } from '../import/zip-reader.js';
import { downloadText, Notice, PageHeader } from '../ui.js';

async function expand(files: readonly File[]): Promise<{ images: ImportFile[]; manifest?: string }> {
  const images: ImportFile[] = [];
  let manifest: string | undefined;
  for (const file of files) {
    const path = (file as File & { webkitRelativePath?: string }).webkitRelativePath || file.name;
    if (/\.zip$/i.test(file.name)) {
      for (const entry of await readZip(file)) {
        if (isManifestName(entry.name)) manifest = await entry.blob.text();
        else images.push(entry);
      }
    } else if (isManifestName(file.name)) {
      manifest = await file.text();
    } else {
      images.push({ name: path, blob: file });
    }
  }
  return { images, manifest };
}

/** Bulk import of a folder, several files or a zip (file names or manifest.csv), with progress and a report. */
export function ImportPage() {
  const [plan, setPlan] = useState<ImportPlan | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [report, setReport] = useState<ReportRow[] | null>(null);
  const [running, setRunning] = useState(false);

  const choose = async (list: FileList | null): Promise<void> => {
    setError(null);
    setReport(null);
    setProgress(null);
    try {
      const { images, manifest } = await expand([...(list ?? [])]);
      setPlan(planImport(images, manifest));
    } catch (e) {
      setPlan(null);
      setError(errorMessage(e));
    }
  };

  const run = async (): Promise<void> => {
    if (!plan) return;
    setRunning(true);
    const rows: ReportRow[] = plan.problems.map((p) => ({
      file: p.file,
      badge: '',
      name: '',
      outcome: 'skipped',
      reason: p.message,
    }));
    const total = plan.people.reduce((n, p) => n + p.photos.length, 0);
    let done = 0;
    setProgress({ done, total });
    for (const person of plan.people) {
      const name = `${person.firstName} ${person.lastName}`;
      const fields = {
        badge: person.badge,
        firstName: person.firstName,
        lastName: person.lastName,
        email: person.email,
        department: person.department,
      };
      // Small batches keep each request well under the body limit and the progress bar moving. The server creates
      // a new badge only with its first accepted photo: a person whose photos are all rejected is not added.
      for (let i = 0; i < person.photos.length; i += 3) {
        const batch = person.photos.slice(i, i + 3);
        try {
          const { photos: results } = await enrollByBadge(
            fields,
            batch.map((f) => Object.assign(f.blob, { name: f.name.split('/').pop() ?? f.name })),
          );
          batch.forEach((f, j) => {
            const r = results[j];
            rows.push({
              file: f.name,
              badge: person.badge,
              name,
              outcome: r?.accepted ? 'accepted' : 'rejected',
              reason: r ? r.reasons.map((x) => `${x.code}: ${x.message}`).join('; ') : 'no answer',
            });
          });
        } catch (e) {
          for (const f of batch)
            rows.push({ file: f.name, badge: person.badge, name, outcome: 'error', reason: errorMessage(e) });
        }
        done += batch.length;
        setProgress({ done, total });
      }
    }
    setReport(rows);
    setRunning(false);
  };

  const accepted = report?.filter((r) => r.outcome === 'accepted').length ?? 0;
  const failed = report?.filter((r) => r.outcome !== 'accepted') ?? [];
  return (
    <section>
      <PageHeader title="Bulk import" />
      <div class="card">
        <p>
          Choose a <strong>.zip</strong>, a folder or several photos named{' '}
          <code>&lt;badge&gt;_&lt;First&gt;_&lt;Last&gt;.jpg</code> (add <code>_2</code>, <code>_3</code>… for
          more photos of one person), or include a <code>manifest.csv</code> with the columns{' '}
          <code>badge,firstName,lastName,email,department,file</code> (or separated by <code>;</code>; several
          files separated by <code>|</code>). Employees are created when their badge is new, together with
          their first accepted photo: nobody is added without a face.
        </p>
        <div class="actions-row">
          <label class="btn btn--primary file-button">
            <input
              type="file"
              multiple
              accept=".zip,.csv,image/jpeg,image/png,image/webp"
              class="visually-hidden"
              aria-label="Choose photos, a zip or a manifest"
              disabled={running}
              onChange={(e) => void choose(e.currentTarget.files)}
            />
            Choose files or a zip
          </label>
          <label class="btn btn--ghost file-button">
            <input
              type="file"
              class="visually-hidden"
              aria-label="Choose a folder of photos"
              disabled={running}
              {...{ webkitdirectory: '' }}
              onChange={(e) => void choose(e.currentTarget.files)}
            />
            Choose a folder
          </label>
        </div>
      </div>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {plan ? (
        <div class="card">
          <h2>Plan</h2>
          <p>
            {plan.people.length} employee(s), {plan.people.reduce((n, p) => n + p.photos.length, 0)} photo(s)
            {plan.problems.length ? `, ${plan.problems.length} file(s) skipped` : ''}.
          </p>
          {plan.problems.length ? (
            <details>
              <summary>Skipped files</summary>
              <ul>
                {plan.problems.map((p) => (
                  <li key={p.file}>
                    <code>{p.file}</code>: {p.message}
                  </li>
                ))}
              </ul>
            </details>
          ) : null}
          <div class="actions-row">
            <button
              type="button"
              class="btn btn--primary"
              disabled={running || plan.people.length === 0}
              onClick={() => void run()}
            >
              {running ? 'Importing…' : 'Start import'}
            </button>
          </div>
          {progress ? (
            <div class="progress">
              <label for="import-progress">
                {progress.done} of {progress.total} photos
              </label>
              <progress id="import-progress" max={Math.max(1, progress.total)} value={progress.done} />
            </div>
          ) : null}
        </div>
      ) : null}
      {report ? (
        <div class="card" data-testid="import-report">
          <h2>Result</h2>
          <p>
            {accepted} photo(s) accepted, {failed.length} rejected or skipped.
          </p>
          <div class="actions-row">
            <button
              type="button"
              class="btn btn--ghost"
              disabled={failed.length === 0}
              onClick={() => downloadText('facegate-import-rejected.csv', reportCsv(failed))}
            >
              Download report of rejected photos (CSV)
            </button>
          </div>
          {failed.length ? (
            <div class="table-wrap">
              <table class="table">
                <thead>
                  <tr>
                    <th scope="col">File</th>
                    <th scope="col">Badge</th>
                    <th scope="col">Outcome</th>
                    <th scope="col">Reason</th>
                  </tr>
                </thead>
                <tbody>
                  {failed.map((r, i) => (
                    <tr key={`${r.file}-${i}`}>
                      <td class="mono">{r.file}</td>
                      <td>{r.badge}</td>
                      <td>{r.outcome}</td>
                      <td>{r.reason}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
