import { useEffect, useRef, useState } from 'preact/hooks';
import { errorMessage } from '../../shared/api.js';
import { type EmployeeDto, listEmployees, photoUrl } from '../admin-api.js';
import { type CreatedInvitationDto, createInvitations } from '../enrolment-api.js';
import { navigate, useLocation } from '../router.js';
import { can, type Me } from '../session.js';
import { ActionNotices, DataTable, Notice, PageHeader, useAction } from '../ui.js';
import { CreatedInvitations } from './created-invitations.js';

const PAGE_SIZE = 20;

/**
 * Searchable, paged employee list with thumbnails (for roles that may see photos) and status; inviters select
 * employees in it and invite them to self-service enrolment.
 */
// Long by design: one page of JSX markup over small handlers; the logic lives in the imported helpers.
export function EmployeesPage({ me }: { me: Me }) {
  const { search: params } = useLocation();
  const query = params.get('q') ?? '';
  const page = Math.max(0, Number(params.get('page') ?? '0') || 0);
  const [draft, setDraft] = useState(query);
  const [data, setData] = useState<{ items: EmployeeDto[]; total: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const showPhotos = can(me.role, 'photos.read');
  const mayInvite = can(me.role, 'invitations.manage');
  const selection = useSelection();

  useEffect(() => {
    let live = true;
    setError(null);
    listEmployees({ search: query || undefined, limit: PAGE_SIZE, offset: page * PAGE_SIZE })
      .then((d) => live && setData(d))
      .catch((e) => live && setError(errorMessage(e)));
    return () => {
      live = false;
    };
  }, [query, page]);

  // Debounced search as you type; Enter applies at once.
  useEffect(() => {
    if (draft === query) return;
    const id = window.setTimeout(() => go(draft, 0), 350);
    return () => window.clearTimeout(id);
  }, [draft]);

  const go = (q: string, p: number): void => {
    const sp = new URLSearchParams();
    if (q) sp.set('q', q);
    if (p) sp.set('page', String(p));
    const qs = sp.toString();
    navigate(`/admin/employees${qs ? `?${qs}` : ''}`, true);
  };

  const total = data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  return (
    <section>
      <PageHeader title="Employees">
        {can(me.role, 'employees.write') ? (
          <>
            <a class="btn btn--ghost" href="/admin/import">
              Bulk import
            </a>
            <a class="btn btn--primary" href="/admin/employees/new">
              Add employee
            </a>
          </>
        ) : null}
      </PageHeader>
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          go(draft.trim(), 0);
        }}
      >
        <label for="employee-search" class="visually-hidden">
          Search employees
        </label>
        <input
          id="employee-search"
          type="search"
          class="toolbar__search"
          placeholder="Search by name, badge or e-mail"
          value={draft}
          onInput={(e) => setDraft(e.currentTarget.value)}
        />
        <span class="muted" aria-live="polite">
          {data ? `${total} employee${total === 1 ? '' : 's'}` : ''}
        </span>
      </form>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {mayInvite ? <InviteSelection items={data?.items ?? []} selection={selection} /> : null}
      <DataTable
        testId="employee-table"
        columns={[
          mayInvite ? { label: 'Select', hidden: true, class: 'col-select' } : null,
          showPhotos ? { label: 'Photo', hidden: true, class: 'col-thumb' } : null,
          { label: 'Name' },
          { label: 'Badge' },
          { label: 'Department', optional: true },
          showPhotos ? { label: 'Faces' } : null,
          { label: 'Status' },
        ]}
        empty={
          data && data.items.length === 0
            ? query
              ? 'No employee matches this search.'
              : 'No employees yet. Add one or use the bulk import.'
            : null
        }
      >
        {data?.items.map((e) => (
          <EmployeeRow
            key={e.id}
            employee={e}
            showPhotos={showPhotos}
            selection={mayInvite ? selection : null}
          />
        ))}
      </DataTable>
      <nav class="pager" aria-label="Pages">
        <button
          type="button"
          class="btn btn--ghost btn--small"
          disabled={page === 0}
          onClick={() => go(query, page - 1)}
        >
          Previous
        </button>
        <span>
          Page {page + 1} of {pages}
        </span>
        <button
          type="button"
          class="btn btn--ghost btn--small"
          disabled={page + 1 >= pages}
          onClick={() => go(query, page + 1)}
        >
          Next
        </button>
      </nav>
    </section>
  );
}

/** Status chip: active, suspended, face login locked. */
export function StatusBadge({ employee }: { employee: EmployeeDto }) {
  if (employee.status === 'suspended') return <span class="badge badge--bad">Suspended</span>;
  if (employee.faceLoginLocked) return <span class="badge badge--warn">Face login locked</span>;
  return <span class="badge badge--ok">Active</span>;
}

function EmployeeRow({
  employee: e,
  showPhotos,
  selection,
}: {
  employee: EmployeeDto;
  showPhotos: boolean;
  selection: Selection | null;
}) {
  // Face count and thumbnail come with the list (one grouped read on the server), only for roles that may see them.
  return (
    <tr>
      {selection ? (
        <td class="col-select">
          <input
            type="checkbox"
            aria-label={`Select ${e.firstName} ${e.lastName}`}
            checked={selection.ids.has(e.id)}
            onChange={(event) => selection.set([e.id], event.currentTarget.checked)}
          />
        </td>
      ) : null}
      {showPhotos ? (
        <td class="col-thumb">
          <Thumb employee={e} src={e.photoId ? photoUrl(e.id, e.photoId) : null} />
        </td>
      ) : null}
      <td>
        <a href={`/admin/employees/${encodeURIComponent(e.id)}`} class="strong-link">
          {e.firstName} {e.lastName}
        </a>
        {e.email ? <div class="muted small">{e.email}</div> : null}
      </td>
      <td class="mono">{e.badge}</td>
      <td class="col-optional">{e.department ?? '—'}</td>
      {showPhotos ? <td>{e.templateCount ?? ''}</td> : null}
      <td>
        <StatusBadge employee={e} />
      </td>
    </tr>
  );
}

/** Employees picked for an invitation, by id: kept across pages and searches until invited or cleared. */
interface Selection {
  ids: ReadonlySet<string>;
  set(ids: readonly string[], selected: boolean): void;
  clear(): void;
}

function useSelection(): Selection {
  const [ids, setIds] = useState<ReadonlySet<string>>(new Set());
  return {
    ids,
    set: (changed, selected) =>
      setIds((previous) => {
        const next = new Set(previous);
        for (const id of changed) {
          if (selected) next.add(id);
          else next.delete(id);
        }
        return next;
      }),
    clear: () => setIds(new Set()),
  };
}

/**
 * "Select all on this page" and "Invite selected (n)": one invitation per selected employee through the invitation
 * API (default validity), then the new links with QR codes and CSV, as on the Invitations page.
 */
function InviteSelection({ items, selection }: { items: EmployeeDto[]; selection: Selection }) {
  const action = useAction();
  const [created, setCreated] = useState<CreatedInvitationDto[]>([]);
  const pageIds = items.map((e) => e.id);
  const onPage = pageIds.filter((id) => selection.ids.has(id)).length;
  const all = pageIds.length > 0 && onPage === pageIds.length;
  const count = selection.ids.size;
  const allBox = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (allBox.current) allBox.current.indeterminate = onPage > 0 && !all;
  });
  const invite = () =>
    void action.run(async () => {
      setCreated(await createInvitations([...selection.ids]));
      selection.clear();
    }, 'Invitations created. Copy the links now: they are not shown again.');
  return (
    <>
      <div class="selection-bar">
        <label class="choice">
          <input
            ref={allBox}
            type="checkbox"
            checked={all}
            disabled={pageIds.length === 0}
            onChange={(e) => selection.set(pageIds, e.currentTarget.checked)}
          />
          Select all on this page
        </label>
        <button
          type="button"
          class="btn btn--primary btn--small"
          disabled={action.busy || count === 0}
          onClick={invite}
        >
          Invite selected ({count})
        </button>
        {count > 0 ? (
          <button type="button" class="btn btn--ghost btn--small" onClick={selection.clear}>
            Clear selection
          </button>
        ) : null}
      </div>
      <ActionNotices action={action} />
      {created.length > 0 ? <CreatedInvitations items={created} /> : null}
    </>
  );
}

function Thumb({ employee, src }: { employee: EmployeeDto; src: string | null }) {
  const initials = `${employee.firstName[0] ?? ''}${employee.lastName[0] ?? ''}`.toUpperCase();
  return src ? (
    <img class="thumb" src={src} alt={`${employee.firstName} ${employee.lastName}`} loading="lazy" />
  ) : (
    <span class="thumb thumb--empty" aria-hidden="true">
      {initials}
    </span>
  );
}
