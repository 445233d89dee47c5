import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, errorMessage } from '../shared/api.js';
import { useFocusHeading } from './focus-heading.js';
import { ApiKeysPage } from './pages/api-keys-page.js';
import { AuditPage } from './pages/audit-page.js';
import { EmployeePage } from './pages/employee-page.js';
import { EmployeesPage } from './pages/employees-page.js';
import { ImportPage } from './pages/import-page.js';
import { InvitationsPage } from './pages/invitations-page.js';
import { LoginPage, SetupPage } from './pages/login-page.js';
import { MySecurityPage } from './pages/my-security-page.js';
import { ReviewPage } from './pages/review-page.js';
import { SettingsPage } from './pages/settings-page.js';
import { UsersPage } from './pages/users-page.js';
import { matchRoute, navigate, useLocation } from './router.js';
import {
  type Capability,
  can,
  hasSessionHint,
  loadMe,
  logout,
  type Me,
  setSessionHint,
  setupPending,
} from './session.js';

type Boot =
  | { kind: 'loading' }
  | { kind: 'setup' }
  | { kind: 'login' }
  | { kind: 'ready'; me: Me }
  | { kind: 'error'; message: string };

interface NavItem {
  href: string;
  label: string;
  cap: Capability;
}

const NAV: readonly NavItem[] = [
  { href: '/admin/employees', label: 'Employees', cap: 'employees.read' },
  { href: '/admin/import', label: 'Bulk import', cap: 'employees.write' },
  { href: '/admin/invitations', label: 'Invitations', cap: 'invitations.manage' },
  { href: '/admin/review', label: 'Review', cap: 'submissions.review' },
  { href: '/admin/audit', label: 'Audit log', cap: 'audit.read' },
  { href: '/admin/settings', label: 'Settings', cap: 'settings.read' },
  { href: '/admin/api-keys', label: 'API keys', cap: 'keys.manage' },
  { href: '/admin/users', label: 'Users', cap: 'users.manage' },
];

/** The admin single-page app: first-run set-up, login, then role-aware pages. */
export function AdminApp() {
  const [boot, setBoot] = useState<Boot>({ kind: 'loading' });
  const { path } = useLocation();

  const refresh = useCallback(async () => {
    try {
      if (await setupPending()) {
        setBoot({ kind: 'setup' });
        return;
      }
      if (!hasSessionHint()) {
        setBoot({ kind: 'login' });
        return;
      }
      setBoot({ kind: 'ready', me: await loadMe() });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        setSessionHint(false);
        setBoot({ kind: 'login' });
      } else setBoot({ kind: 'error', message: errorMessage(error) });
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  if (boot.kind === 'loading') {
    return (
      <main class="center-screen" aria-busy="true">
        <p>Loading…</p>
      </main>
    );
  }
  if (boot.kind === 'error') {
    return (
      <main class="center-screen">
        <div class="card card--narrow">
          <h1>facegate admin</h1>
          <p class="notice notice--error" role="alert">
            {boot.message}
          </p>
          <button type="button" class="btn btn--primary" onClick={() => void refresh()}>
            Retry
          </button>
        </div>
      </main>
    );
  }
  if (boot.kind === 'setup') return <SetupPage onDone={() => void refresh()} />;
  if (boot.kind === 'login') return <LoginPage onDone={(me) => setBoot({ kind: 'ready', me })} />;

  const { me } = boot;
  const home = NAV.find((n) => can(me.role, n.cap))?.href ?? '/admin/employees';
  return (
    <Shell me={me} path={path} onLogout={() => void logout().finally(() => setBoot({ kind: 'login' }))}>
      <Route path={path} me={me} home={home} />
    </Shell>
  );
}

function Route({ path, me, home }: { path: string; me: Me; home: string }) {
  useEffect(() => {
    if (path === '/admin' || path === '/admin/login' || path === '/admin/setup') navigate(home, true);
  }, [path, home]);

  const guard = (cap: Capability, page: ComponentChildren) => (can(me.role, cap) ? page : <Forbidden />);

  if (path === '/admin/employees') return guard('employees.read', <EmployeesPage me={me} />);
  if (path === '/admin/employees/new') return guard('employees.write', <EmployeePage me={me} id={null} />);
  const employee = matchRoute('/admin/employees/:id', path);
  if (employee?.id)
    return guard('employees.read', <EmployeePage me={me} id={employee.id} key={employee.id} />);
  if (path === '/admin/import') return guard('employees.write', <ImportPage />);
  if (path === '/admin/invitations') return guard('invitations.manage', <InvitationsPage />);
  if (path === '/admin/review') return guard('submissions.review', <ReviewPage />);
  if (path === '/admin/audit') return guard('audit.read', <AuditPage />);
  if (path === '/admin/settings') return guard('settings.read', <SettingsPage me={me} />);
  if (path === '/admin/api-keys') return guard('keys.manage', <ApiKeysPage />);
  if (path === '/admin/users') return guard('users.manage', <UsersPage me={me} />);
  if (path === '/admin/security') return <MySecurityPage me={me} />;
  if (path === '/admin' || path === '/admin/login' || path === '/admin/setup') return null;
  return (
    <div class="card">
      <h1>Page not found</h1>
      <p>
        <a href={home}>Back to the start page</a>
      </p>
    </div>
  );
}

function Forbidden() {
  return (
    <div class="card" data-testid="forbidden">
      <h1>Not available for your role</h1>
      <p>Your account does not have access to this page. Ask an administrator if you need it.</p>
    </div>
  );
}

function Shell({
  me,
  path,
  onLogout,
  children,
}: {
  me: Me;
  path: string;
  onLogout: () => void;
  children: ComponentChildren;
}) {
  const [menuOpen, setMenuOpen] = useState(false);
  // Screen readers announce the new page: its heading takes the focus after each navigation (and after login).
  useFocusHeading(path);
  useEffect(() => setMenuOpen(false), [path]);
  const items = NAV.filter((n) => can(me.role, n.cap));
  const current = items.find((n) => path.startsWith(n.href));
  return (
    <div class="shell">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class={`topbar ${menuOpen ? 'topbar--open' : ''}`}>
        <a class="brand topbar__brand" href="/admin">
          <span class="brand__mark" aria-hidden="true" />
          facegate <span class="topbar__sub">admin</span>
        </a>
        <button
          type="button"
          class="btn btn--ghost btn--small topbar__menu"
          aria-expanded={menuOpen ? 'true' : 'false'}
          aria-controls="main-nav"
          onClick={() => setMenuOpen((open) => !open)}
        >
          {current ? `Menu: ${current.label}` : 'Menu'}
        </button>
        <nav id="main-nav" class="topnav" aria-label="Main">
          {items.map((n) => (
            <a
              key={n.href}
              href={n.href}
              class="topnav__link"
              aria-current={path.startsWith(n.href) ? 'page' : undefined}
            >
              {n.label}
            </a>
          ))}
        </nav>
        <div class="topbar__user">
          <span class="user-chip" title={`Signed in as ${me.username}`}>
            {me.username} <span class="role-badge">{me.role}</span>
          </span>
          <a
            href="/admin/security"
            class="btn btn--ghost btn--small"
            aria-current={path === '/admin/security' ? 'page' : undefined}
          >
            Sign-in security
          </a>
          <button type="button" class="btn btn--ghost btn--small" onClick={onLogout}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" class="content">
        {children}
      </main>
    </div>
  );
}
