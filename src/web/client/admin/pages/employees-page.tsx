import { useEffect, useState } from 'preact/hooks';
import { errorMessage } from '../../shared/api.js';
import { type EmployeeDto, listEmployees, photoUrl } from '../admin-api.js';
import { navigate, useLocation } from '../router.js';
import { can, type Me } from '../session.js';
import { DataTable, Notice, PageHeader } from '../ui.js';

const PAGE_SIZE = 20;

/** Searchable, paged employee list with thumbnails (for roles that may see photos) and status. */
// Long by design: one page of JSX markup over small handlers; the logic lives in the imported helpers.
export function EmployeesPage({ me }: { me: Me }) {
  const { search: params } = useLocation();
  const query = params.get('q') ?? '';
  const page = Math.max(0, Number(params.get('page') ?? '0') || 0);
  const [draft, setDraft] = useState(query);
  const [data, setData] = useState<{ items: EmployeeDto[]; total: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const showPhotos = can(me.role, 'photos.read');

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
      <DataTable
        testId="employee-table"
        columns={[
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
          <EmployeeRow key={e.id} employee={e} showPhotos={showPhotos} />
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

function EmployeeRow({ employee: e, showPhotos }: { employee: EmployeeDto; showPhotos: boolean }) {
  // Face count and thumbnail come with the list (one grouped read on the server), only for roles that may see them.
  return (
    <tr>
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
