import { useState } from 'preact/hooks';
import { isManifestName } from '../../../../services/bulk-import.parser.js';
import { errorMessage } from '../../shared/api.js';
import { type ImportFile, type ImportPlan, planImport, reportCsv } from '../import/import-plan.js';
import {
  type ImportedPerson,
  type ImportOutcome,
  type ImportProgress,
  runImport,
} from '../import/import-runner.js';
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
  const [progress, setProgress] = useState<ImportProgress | null>(null);
  const [outcome, setOutcome] = useState<ImportOutcome | null>(null);
  const [running, setRunning] = useState(false);

  const choose = async (list: FileList | null): Promise<void> => {
    setError(null);
    setOutcome(null);
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
    try {
      setOutcome(await runImport(plan, setProgress));
    } finally {
      setRunning(false);
    }
  };

  return (
    <section>
      <PageHeader title="Bulk import" />
      <ChooseCard running={running} onChoose={(list) => void choose(list)} />
      {error ? <Notice kind="error">{error}</Notice> : null}
      {plan ? (
        <PlanCard
          plan={plan}
          progress={progress}
          running={running}
          done={outcome !== null}
          onStart={() => void run()}
        />
      ) : null}
      {outcome ? <ReportCard outcome={outcome} /> : null}
    </section>
  );
}

function ChooseCard({ running, onChoose }: { running: boolean; onChoose: (list: FileList | null) => void }) {
  return (
    <div class="card">
      <p>
        Choose a <strong>.zip</strong>, a folder or several photos named{' '}
        <code>&lt;badge&gt;_&lt;First&gt;_&lt;Last&gt;.jpg</code> (add <code>_2</code>, <code>_3</code>… for
        more photos of one person), or include a <code>manifest.csv</code> with the columns{' '}
        <code>badge,firstName,lastName,email,department,file</code> (or separated by <code>;</code>; several
        files separated by <code>|</code>). Employees are created when their badge is new, together with their
        first accepted photo: nobody is added without a face.
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
            onChange={(e) => onChoose(e.currentTarget.files)}
          />
          Choose files or a zip
        </label>
        <label class="btn btn--ghost file-button">
          <input
            type="file"
            class="visually-hidden"
            aria-label="Choose a folder of photos"
            disabled={running}
            {...{ webkitdirectory: true }}
            onChange={(e) => onChoose(e.currentTarget.files)}
          />
          Choose a folder
        </label>
      </div>
    </div>
  );
}

function PlanCard({
  plan,
  progress,
  running,
  done,
  onStart,
}: {
  plan: ImportPlan;
  progress: ImportProgress | null;
  running: boolean;
  done: boolean;
  onStart: () => void;
}) {
  return (
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
          disabled={running || done || plan.people.length === 0}
          onClick={onStart}
        >
          {running ? 'Importing…' : done ? 'Import done' : 'Start import'}
        </button>
      </div>
      {progress ? (
        <div class={`progress ${progress.failed ? 'progress--failures' : ''}`}>
          <label for="import-progress">
            {progress.done} of {progress.total} photos sent: {progress.accepted} accepted
            {progress.failed ? `, ${progress.failed} refused or failed` : ''}
          </label>
          <progress id="import-progress" max={Math.max(1, progress.total)} value={progress.done} />
        </div>
      ) : null}
    </div>
  );
}

// Long by design: one page of JSX markup over small handlers; the logic lives in the imported helpers.
function ReportCard({ outcome }: { outcome: ImportOutcome }) {
  const { rows, people } = outcome;
  const accepted = rows.filter((r) => r.outcome === 'accepted').length;
  const failed = rows.filter((r) => r.outcome !== 'accepted');
  const created = people.filter((p) => p.created);
  const updated = people.filter((p) => !p.created);
  return (
    <div class="card" data-testid="import-report">
      <h2>Result</h2>
      <p>
        {accepted} photo(s) accepted, {failed.length} rejected or skipped.
      </p>
      <PeopleList title="Created" people={created} testId="import-created" />
      <PeopleList title="Photos added to" people={updated} testId="import-updated" />
      <div class="actions-row">
        <button
          type="button"
          class="btn btn--ghost"
          disabled={failed.length === 0}
          onClick={() => downloadText('facegate-import-rejected.csv', reportCsv(failed))}
        >
          Download report of rejected photos (CSV)
        </button>
        <button
          type="button"
          class="btn btn--ghost"
          onClick={() => downloadText('facegate-import-report.csv', reportCsv(rows))}
        >
          Download full report (CSV)
        </button>
      </div>
      {failed.length ? (
        <>
          <h3>Refused files</h3>
          <div class="table-wrap">
            <table class="table table--cards" data-testid="import-refused">
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
                    <td class="mono" data-label="File">
                      {r.file}
                    </td>
                    <td data-label="Badge">{r.badge}</td>
                    <td data-label="Outcome">{r.outcome}</td>
                    <td data-label="Reason">
                      {r.plain || r.reason}
                      {r.plain ? <small class="small-print">{r.reason}</small> : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </div>
  );
}

function PeopleList({ title, people, testId }: { title: string; people: ImportedPerson[]; testId: string }) {
  if (people.length === 0) return null;
  return (
    <>
      <h3>
        {title} ({people.length})
      </h3>
      <ul class="import-people" data-testid={testId}>
        {people.map((p) => (
          <li key={p.id}>
            <a href={`/admin/employees/${encodeURIComponent(p.id)}`}>{p.name}</a>{' '}
            <span class="muted">{p.badge}</span> · {p.accepted} photo(s)
          </li>
        ))}
      </ul>
    </>
  );
}
