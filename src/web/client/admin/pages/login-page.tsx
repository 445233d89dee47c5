import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError, apiRequest, errorMessage } from '../../shared/api.js';
import { type SecondFactorStepDto, signInWithPassword } from '../factors-api.js';
import { navigate } from '../router.js';
import { login, type Me } from '../session.js';
import { type Action, Field, Notice, useAction } from '../ui.js';
import { LoginSecondFactor } from './login-second-factor.js';

/** The centred card of the sign-in and set-up forms: brand, title, error banner, fields, one submit button. */
function AuthCard({
  id,
  title,
  action,
  submitLabel,
  busyLabel,
  onSubmit,
  children,
}: {
  id: string;
  title: string;
  action: Action;
  submitLabel: string;
  busyLabel: string;
  onSubmit: () => void;
  children: ComponentChildren;
}) {
  return (
    <main class="center-screen">
      <form
        class="card card--narrow"
        aria-labelledby={id}
        onSubmit={(event) => {
          event.preventDefault();
          onSubmit();
        }}
      >
        <p class="brand card__brand">
          <span class="brand__mark" aria-hidden="true" />
          facegate
        </p>
        <h1 id={id}>{title}</h1>
        {children}
        <button type="submit" class="btn btn--primary btn--block" disabled={action.busy}>
          {action.busy ? busyLabel : submitLabel}
        </button>
      </form>
    </main>
  );
}

function signInError(e: unknown): string {
  if (e instanceof ApiError && e.status === 401) return 'Wrong username or password.';
  if (e instanceof ApiError && e.code === 'LOCKED_OUT')
    return 'Too many failed sign-ins. Wait a moment and try again.';
  return errorMessage(e);
}

/** Sign-in form: the password, then the second factor when the account's policy asks one. */
export function LoginPage({ onDone }: { onDone: (me: Me) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [step, setStep] = useState<SecondFactorStepDto | null>(null);
  const action = useAction();
  const finish = (me: Me): void => {
    if (location.pathname.replace(/\/+$/, '') === '/admin/login') navigate('/admin', true);
    onDone(me);
  };
  if (step) {
    return (
      <LoginSecondFactor
        step={step}
        onDone={finish}
        onRestart={(reason) => {
          setStep(null);
          setPassword('');
          action.setError(reason || null);
        }}
      />
    );
  }
  return (
    <AuthCard
      id="login-title"
      title="Sign in"
      action={action}
      submitLabel="Sign in"
      busyLabel="Signing in…"
      onSubmit={() =>
        void action.run(
          async () => {
            const signedIn = await signInWithPassword(username.trim(), password);
            if (signedIn.kind === 'step') setStep(signedIn.step);
            else finish(signedIn.me);
          },
          undefined,
          signInError,
        )
      }
    >
      {action.error ? <Notice kind="error">{action.error}</Notice> : null}
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
    </AuthCard>
  );
}

/** First-run set-up: the one-time token printed by the server at its first start, then the first admin. */
// Long by design: one page of JSX markup over small handlers; the logic lives in the imported helpers.
export function SetupPage({ onDone }: { onDone: () => void }) {
  const [setupToken, setSetupToken] = useState('');
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const action = useAction();
  const mismatch = confirm.length > 0 && confirm !== password;
  return (
    <AuthCard
      id="setup-title"
      title="First-run set-up"
      action={action}
      submitLabel="Create administrator"
      busyLabel="Creating…"
      onSubmit={() => {
        if (password !== confirm) {
          action.setError('The two passwords differ.');
          return;
        }
        void action.run(async () => {
          await apiRequest('/setup', {
            method: 'POST',
            body: { setupToken: setupToken.trim(), username: username.trim(), password },
          });
          await login(username.trim(), password).catch(() => undefined);
          navigate('/admin', true);
          onDone();
        });
      }}
    >
      <p class="muted">
        Create the first administrator. The one-time set-up token was printed in the server log when facegate
        started (a restart prints a new one).
      </p>
      {action.error ? <Notice kind="error">{action.error}</Notice> : null}
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
    </AuthCard>
  );
}
