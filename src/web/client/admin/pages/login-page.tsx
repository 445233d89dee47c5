import { useState } from 'preact/hooks';
import { ApiError, apiRequest, errorMessage } from '../../shared/api.js';
import { navigate } from '../router.js';
import { login, type Me } from '../session.js';
import { Field, Notice } from '../ui.js';

/** Sign-in form. */
export function LoginPage({ onDone }: { onDone: (me: Me) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <div class="center-screen">
      <form
        class="card card--narrow"
        aria-labelledby="login-title"
        onSubmit={async (event) => {
          event.preventDefault();
          setBusy(true);
          setError(null);
          try {
            const me = await login(username.trim(), password);
            if (location.pathname.replace(/\/+$/, '') === '/admin/login') navigate('/admin', true);
            onDone(me);
          } catch (e) {
            setError(
              e instanceof ApiError && e.status === 401
                ? 'Wrong username or password.'
                : e instanceof ApiError && e.code === 'LOCKED_OUT'
                  ? 'Too many failed sign-ins. Wait a moment and try again.'
                  : errorMessage(e),
            );
          } finally {
            setBusy(false);
          }
        }}
      >
        <p class="brand card__brand">
          <span class="brand__mark" aria-hidden="true" />
          facegate
        </p>
        <h1 id="login-title">Sign in</h1>
        {error ? <Notice kind="error">{error}</Notice> : null}
        <Field
          label="Username"
          name="username"
          autoComplete="username"
          required
          value={username}
          onInput={(e) => setUsername(e.currentTarget.value)}
        />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <button type="submit" class="btn btn--primary btn--block" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}

/** First-run set-up: the one-time token printed by the server at its first start, then the first admin. */
export function SetupPage({ onDone }: { onDone: () => void }) {
  const [setupToken, setSetupToken] = useState('');
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const mismatch = confirm.length > 0 && confirm !== password;
  return (
    <div class="center-screen">
      <form
        class="card card--narrow"
        aria-labelledby="setup-title"
        onSubmit={async (event) => {
          event.preventDefault();
          if (password !== confirm) {
            setError('The two passwords differ.');
            return;
          }
          setBusy(true);
          setError(null);
          try {
            await apiRequest('/setup', {
              method: 'POST',
              body: { setupToken: setupToken.trim(), username: username.trim(), password },
            });
            await login(username.trim(), password).catch(() => undefined);
            navigate('/admin', true);
            onDone();
          } catch (e) {
            setError(errorMessage(e));
          } finally {
            setBusy(false);
          }
        }}
      >
        <p class="brand card__brand">
          <span class="brand__mark" aria-hidden="true" />
          facegate
        </p>
        <h1 id="setup-title">First-run set-up</h1>
        <p class="muted">
          Create the first administrator. The one-time set-up token was printed in the server log when
          facegate started (a restart prints a new one).
        </p>
        {error ? <Notice kind="error">{error}</Notice> : null}
        <Field
          label="Set-up token"
          name="setupToken"
          autoComplete="off"
          spellcheck={false}
          required
          value={setupToken}
          onInput={(e) => setSetupToken(e.currentTarget.value)}
        />
        <Field
          label="Administrator username"
          name="username"
          autoComplete="username"
          required
          value={username}
          onInput={(e) => setUsername(e.currentTarget.value)}
        />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          minLength={12}
          hint="At least 12 characters. A passphrase of several words works well."
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <Field
          label="Repeat the password"
          name="confirm"
          type="password"
          autoComplete="new-password"
          required
          error={mismatch ? 'The two passwords differ.' : null}
          value={confirm}
          onInput={(e) => setConfirm(e.currentTarget.value)}
        />
        <button type="submit" class="btn btn--primary btn--block" disabled={busy}>
          {busy ? 'Creating…' : 'Create administrator'}
        </button>
      </form>
    </div>
  );
}
