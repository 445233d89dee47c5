import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, errorMessage } from '../../shared/api.js';
import {
  type ConsoleAnswer,
  completeSignIn,
  consolePasskey,
  type SecondFactorStepDto,
} from '../factors-api.js';
import type { Me } from '../session.js';
import { Field, Notice, useAction } from '../ui.js';

type CodeKind = 'totp' | 'recovery' | 'pin';

const CODE_NAMES: Record<CodeKind, string> = {
  totp: 'Code from your authenticator app',
  recovery: 'Recovery code',
  pin: 'PIN',
};

function stepError(e: unknown): string {
  if (e instanceof ApiError && (e.code === 'SECOND_FACTOR_FAILED' || e.code === 'STEP_TOKEN_INVALID'))
    return 'That was not accepted. Sign in with your password again.';
  if (e instanceof ApiError && e.code === 'LOCKED_OUT')
    return 'Too many failed sign-ins. Wait a moment and try again.';
  if (e instanceof DOMException) return 'No passkey answered. Sign in with your password again.';
  return errorMessage(e);
}

/**
 * The second step of console sign-in: a passkey, a code from the authenticator app, or a recovery code, as the
 * step allows. Any failure uses the step up: `onRestart` goes back to the password with the reason.
 */
export function LoginSecondFactor({
  step,
  onDone,
  onRestart,
}: {
  step: SecondFactorStepDto;
  onDone: (me: Me) => void;
  onRestart: (reason: string) => void;
}) {
  const passkey = step.allowed.includes('webauthn') && step.passkeyOptions !== null;
  const codes: CodeKind[] = (['totp', 'pin', 'recovery'] as const).filter((k) => step.allowed.includes(k));
  const [kind, setKind] = useState<CodeKind>(codes[0] ?? 'recovery');
  const [code, setCode] = useState('');
  const action = useAction();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);

  const send = (answer: () => Promise<ConsoleAnswer>): void => {
    let failure: string | null = null;
    void action
      .run(
        async () => onDone(await completeSignIn(step.stepToken, await answer())),
        undefined,
        (e) => {
          failure = stepError(e);
          return failure;
        },
      )
      .then((ok) => {
        if (!ok && failure) onRestart(failure);
      });
  };

  return (
    <main class="center-screen">
      <div class="card card--narrow" data-testid="login-second-factor">
        <p class="brand card__brand">
          <span class="brand__mark" aria-hidden="true" />
          facegate
        </p>
        <h1 id="second-factor-title" ref={heading} tabIndex={-1}>
          Confirm it is you
        </h1>
        <p class="muted">Your account asks for a second step before the console opens.</p>
        {action.error ? <Notice kind="error">{action.error}</Notice> : null}
        {passkey ? (
          <button
            type="button"
            class="btn btn--primary btn--block"
            disabled={action.busy}
            onClick={() => send(() => consolePasskey(step))}
          >
            Use a passkey or security key
          </button>
        ) : null}
        {codes.length > 0 ? (
          <form
            class="form-stack"
            aria-labelledby="second-factor-title"
            onSubmit={(event) => {
              event.preventDefault();
              send(async () => ({ kind, code: code.trim() }));
            }}
          >
            {codes.length > 1 ? (
              <fieldset class="choice-row">
                <legend>{passkey ? 'Or enter a code' : 'Enter a code'}</legend>
                {codes.map((k) => (
                  <label key={k} class="choice">
                    <input
                      type="radio"
                      name="code-kind"
                      value={k}
                      checked={kind === k}
                      onChange={() => setKind(k)}
                    />{' '}
                    {CODE_NAMES[k]}
                  </label>
                ))}
              </fieldset>
            ) : null}
            <Field
              label={CODE_NAMES[kind]}
              name="second-factor-code"
              autoComplete="one-time-code"
              inputMode={kind === 'recovery' ? 'text' : 'numeric'}
              spellcheck={false}
              required
              value={code}
              onInput={(e) => setCode(e.currentTarget.value)}
            />
            <button type="submit" class="btn btn--ghost btn--block" disabled={action.busy}>
              {action.busy ? 'Checking…' : 'Continue'}
            </button>
          </form>
        ) : null}
        <button type="button" class="link-button" onClick={() => onRestart('')}>
          Back to the password
        </button>
      </div>
    </main>
  );
}
