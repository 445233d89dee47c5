import { useEffect, useState } from 'preact/hooks';
import { apiUrl, errorMessage } from '../../shared/api.js';
import { type AuditDto, type AuditFilter, auditQuery, listAudit } from '../admin-api.js';
import { DataTable, Field, formatDate, Notice, PageHeader, SelectField } from '../ui.js';

/** Actions offered before the log has answered; the log's own list (every action it holds) is added to these. */
const KNOWN_ACTIONS = [
  'authenticate',
  'identify',
  'verify',
  'login',
  'logout',
  'enroll',
  'employee.create',
  'employee.update',
  'employee.delete',
  'settings.update',
  'apikey.create',
  'apikey.revoke',
  'user.create',
  'lockout',
  'face.delete',
];
const OUTCOMES = ['', 'match', 'no_match', 'retry', 'success', 'failure', 'refused', 'locked'];

function toIso(local: string, endOfDay = false): string | undefined {
  if (!local) return undefined;
  const d = new Date(endOfDay ? `${local}T23:59:59.999` : `${local}T00:00:00`);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** Audit log with filters, paging by cursor and CSV / JSON-lines export. */
// Long by design: one page of JSX markup over small handlers; the logic lives in the imported helpers.
export function AuditPage() {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [action, setAction] = useState('');
  const [outcome, setOutcome] = useState('');
  const [employeeName, setEmployeeName] = useState('');
  const [actorName, setActorName] = useState('');
  const [actions, setActions] = useState<string[]>(KNOWN_ACTIONS);
  const [filter, setFilter] = useState<AuditFilter>({});
  const [items, setItems] = useState<AuditDto[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  const load = async (f: AuditFilter, after: string | null): Promise<void> => {
    setLoading(true);
    setError(null);
    try {
      const page = await listAudit(f, after);
      setItems((prev) => (after ? [...prev, ...page.items] : page.items));
      setCursor(page.nextCursor);
      if (page.actions) setActions((known) => [...new Set([...known, ...(page.actions ?? [])])].sort());
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setLoading(false);
    }
  };

  useEffect(() => {
    void load(filter, null);
  }, [filter]);

  const exportQuery = (format: 'csv' | 'jsonl') => apiUrl('/audit/export', { ...auditQuery(filter), format });
  return (
    <section>
      <PageHeader title="Audit log">
        <a class="btn btn--ghost" href={exportQuery('csv')} download="facegate-audit.csv">
          Export CSV
        </a>
        <a class="btn btn--ghost" href={exportQuery('jsonl')} download="facegate-audit.jsonl">
          Export JSON lines
        </a>
      </PageHeader>
      <form
        class="card filters"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter({
            from: toIso(from),
            to: toIso(to, true),
            action: action || undefined,
            outcome: outcome || undefined,
            employeeName: employeeName.trim() || undefined,
            actorName: actorName.trim() || undefined,
          });
        }}
      >
        <Field
          label="From"
          name="from"
          type="date"
          value={from}
          onInput={(e) => setFrom(e.currentTarget.value)}
        />
        <Field label="To" name="to" type="date" value={to} onInput={(e) => setTo(e.currentTarget.value)} />
        <SelectField
          label="Action"
          name="action"
          value={action}
          onChange={(e) => setAction(e.currentTarget.value)}
          options={['', ...actions].map((a) => ({ value: a, label: a || 'Any action' }))}
        />
        <SelectField
          label="Outcome"
          name="outcome"
          value={outcome}
          onChange={(e) => setOutcome(e.currentTarget.value)}
          options={OUTCOMES.map((o) => ({ value: o, label: o || 'Any outcome' }))}
        />
        <Field
          label="Employee (name or badge)"
          name="employeeName"
          value={employeeName}
          onInput={(e) => setEmployeeName(e.currentTarget.value)}
        />
        <Field
          label="Actor (user, key name or fg_ prefix)"
          name="actorName"
          value={actorName}
          onInput={(e) => setActorName(e.currentTarget.value)}
        />
        <div class="filters__submit">
          <button type="submit" class="btn btn--primary">
            Apply filters
          </button>
        </div>
      </form>
      {error ? <Notice kind="error">{error}</Notice> : null}
      <DataTable
        testId="audit-table"
        dense
        columns={[
          { label: 'Time' },
          { label: 'Action' },
          { label: 'Outcome' },
          { label: 'Reason' },
          { label: 'Actor' },
          { label: 'Employee', optional: true },
          { label: 'IP', optional: true },
        ]}
        empty={!loading && items.length === 0 ? 'No audit record matches.' : null}
      >
        {items.map((e) => (
          <tr key={e.id}>
            <td class="nowrap">{formatDate(e.at)}</td>
            <td class="mono">{e.action}</td>
            <td>
              <span class={`badge badge--${outcomeKind(e.outcome)}`}>{e.outcome}</span>
            </td>
            <td>{e.reason ?? ''}</td>
            <td class="small" data-testid="audit-actor">
              <ActorCell event={e} />
            </td>
            <td class="small col-optional" data-testid="audit-employee">
              <EmployeeCell event={e} />
            </td>
            <td class="mono small col-optional">{e.ip ?? ''}</td>
          </tr>
        ))}
      </DataTable>
      <div class="pager">
        {cursor ? (
          <button
            type="button"
            class="btn btn--ghost"
            disabled={loading}
            onClick={() => void load(filter, cursor)}
          >
            Load more
          </button>
        ) : null}
      </div>
    </section>
  );
}

function outcomeKind(outcome: string): 'ok' | 'bad' | 'warn' | 'neutral' {
  if (outcome === 'match' || outcome === 'success') return 'ok';
  if (outcome === 'no_match' || outcome === 'failure' || outcome === 'refused' || outcome === 'locked')
    return 'bad';
  if (outcome === 'retry') return 'warn';
  return 'neutral';
}

function ActorCell({ event }: { event: AuditDto }) {
  const actor = event.actor;
  if (!actor) return <span class="muted">{event.actorType}</span>;
  const href =
    event.actorType === 'api_key' ? '/admin/api-keys' : event.actorType === 'user' ? '/admin/users' : null;
  return href && actor.exists ? (
    <a href={href} title={`${event.actorType} ${actor.id}`}>
      {actor.label}
    </a>
  ) : (
    <span title={actor.id}>{actor.label}</span>
  );
}

function EmployeeCell({ event }: { event: AuditDto }) {
  const employee = event.employee;
  if (!employee) return null;
  const text = employee.exists && employee.badge ? `${employee.label} (${employee.badge})` : employee.label;
  return employee.exists ? (
    <a href={`/admin/employees/${encodeURIComponent(employee.id)}`}>{text}</a>
  ) : (
    <span class="muted">{text}</span>
  );
}
