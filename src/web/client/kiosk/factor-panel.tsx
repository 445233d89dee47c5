import type { Ref } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { type KioskEvent, type KioskFactorKind, type KioskState, kioskFactorsOf } from './kiosk.machine.js';
import { type FactorAnswer, passkeyAnswer, submitFactor } from './kiosk-factor-api.js';

type FactorState = Extract<KioskState, { name: 'factor' }>;
type CheckingState = Extract<KioskState, { name: 'factorChecking' }>;

/** The answer the person gave, held between `factor` and `factorChecking` (never kept after it is sent). */
type AnswerRef = { current: FactorAnswer | null };

/**
 * The side effects of the second-factor states: the passkey prompt when a passkey is asked (once per entry into
 * the screen; "Try again" re-enters it), then sending the answer. A cancel or a new state aborts them.
 */
export function useFactorStep(
  state: KioskState,
  key: string | null,
  answerRef: AnswerRef,
  dispatch: (event: KioskEvent) => void,
): void {
  const prompting =
    state.name === 'factor' && state.kind === 'webauthn' && state.notice === null ? state : null;
  useEffect(() => {
    if (!prompting || !key) return;
    const abort = new AbortController();
    passkeyAnswer(key, prompting.step, abort.signal)
      .then((answer) => {
        if (abort.signal.aborted) return;
        if ('notice' in answer) {
          dispatch({ type: 'FACTOR_PROMPT_FAILED', message: answer.notice });
          return;
        }
        answerRef.current = answer;
        dispatch({ type: 'FACTOR_SUBMITTED' });
      })
      .catch(() => {
        if (!abort.signal.aborted)
          dispatch({
            type: 'FACTOR_PROMPT_FAILED',
            message: 'The security key could not be used. Try again.',
          });
      });
    return () => abort.abort();
  }, [prompting, key, answerRef, dispatch]);

  const sending = state.name === 'factorChecking' ? state : null;
  useEffect(() => {
    const answer = answerRef.current;
    if (!sending || !key) return;
    answerRef.current = null;
    if (!answer) {
      dispatch({ type: 'FACTOR_REFUSED' });
      return;
    }
    const abort = new AbortController();
    submitFactor(key, sending.step.stepToken, answer, abort.signal)
      .then((event) => {
        if (!abort.signal.aborted) dispatch(event);
      })
      .catch(() => {
        if (!abort.signal.aborted)
          dispatch({ type: 'FAILED', message: 'Something went wrong. Please try again.' });
      });
    return () => abort.abort();
  }, [sending, key, answerRef, dispatch]);
}

const FACTOR_NAMES: Record<KioskFactorKind, string> = {
  webauthn: 'Security key or phone',
  totp: 'Code from your authenticator app',
  pin: 'PIN',
};

/** The second-factor screen: a choice among the allowed factors, then the PIN pad, code entry or passkey prompt. */
export function FactorPanel({
  state,
  dispatch,
  primary,
  answerRef,
}: {
  state: FactorState | CheckingState;
  dispatch: (event: KioskEvent) => void;
  primary: Ref<HTMLButtonElement>;
  answerRef: AnswerRef;
}) {
  const name = state.employee.firstName;
  const kinds = kioskFactorsOf(state.step);
  const others = kinds.length > 1;
  return (
    <section class="panel panel--factor" aria-labelledby="factor-title" data-testid="kiosk-factor">
      <h1 id="factor-title" class="headline headline--small">
        {name ? `One more step, ${name}` : 'One more step'}
      </h1>
      {state.name === 'factorChecking' ? (
        <p class="hint" role="status" aria-live="assertive" data-testid="kiosk-status">
          Checking…
        </p>
      ) : state.kind === null ? (
        <FactorChoice kinds={kinds} dispatch={dispatch} primary={primary} />
      ) : state.kind === 'webauthn' ? (
        <PasskeyPrompt state={state} dispatch={dispatch} />
      ) : (
        <CodeEntry kind={state.kind} dispatch={dispatch} answerRef={answerRef} key={state.kind} />
      )}
      <div class="actions factor__more">
        {state.name === 'factor' && state.kind !== null && others ? (
          <FactorSwitch kinds={kinds} current={state.kind} dispatch={dispatch} />
        ) : null}
        <button type="button" class="btn btn--ghost" onClick={() => dispatch({ type: 'CANCEL' })}>
          Cancel
        </button>
      </div>
    </section>
  );
}

function FactorChoice({
  kinds,
  dispatch,
  primary,
}: {
  kinds: KioskFactorKind[];
  dispatch: (event: KioskEvent) => void;
  primary: Ref<HTMLButtonElement>;
}) {
  return (
    <>
      <p class="lead">Confirm it is you with one of these:</p>
      <div class="actions factor__choices">
        {kinds.map((kind, i) => (
          <button
            key={kind}
            ref={i === 0 ? primary : undefined}
            type="button"
            class="btn btn--primary"
            onClick={() => dispatch({ type: 'FACTOR_CHOSEN', kind })}
          >
            {FACTOR_NAMES[kind]}
          </button>
        ))}
      </div>
    </>
  );
}

function FactorSwitch({
  kinds,
  current,
  dispatch,
}: {
  kinds: KioskFactorKind[];
  current: KioskFactorKind;
  dispatch: (event: KioskEvent) => void;
}) {
  return (
    <>
      {kinds
        .filter((kind) => kind !== current)
        .map((kind) => (
          <button
            key={kind}
            type="button"
            class="btn btn--ghost"
            onClick={() => dispatch({ type: 'FACTOR_CHOSEN', kind })}
          >
            Use {FACTOR_NAMES[kind].toLowerCase()} instead
          </button>
        ))}
    </>
  );
}

function PasskeyPrompt({ state, dispatch }: { state: FactorState; dispatch: (event: KioskEvent) => void }) {
  const retry = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (state.notice) retry.current?.focus();
  }, [state.notice]);
  return (
    <>
      {state.notice ? (
        <p class="hint hint--warn" role="alert" data-testid="kiosk-status">
          {state.notice}
        </p>
      ) : (
        <p class="hint" role="status" aria-live="polite" data-testid="kiosk-status">
          Touch your security key, or use your phone when asked.
        </p>
      )}
      {state.notice ? (
        <div class="actions">
          <button
            ref={retry}
            type="button"
            class="btn btn--primary"
            onClick={() => dispatch({ type: 'FACTOR_CHOSEN', kind: 'webauthn' })}
          >
            Try the security key again
          </button>
        </div>
      ) : null}
    </>
  );
}

const PAD_KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;

/** PIN or authenticator code: a field that takes the keyboard, and an on-screen pad for touch screens. */
function CodeEntry({
  kind,
  dispatch,
  answerRef,
}: {
  kind: Exclude<KioskFactorKind, 'webauthn'>;
  dispatch: (event: KioskEvent) => void;
  answerRef: AnswerRef;
}) {
  const [code, setCode] = useState('');
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    input.current?.focus();
  }, []);
  const max = kind === 'pin' ? 12 : 6;
  const type = (digit: string): void => {
    setCode((c) => (c.length < max ? c + digit : c));
    input.current?.focus();
  };
  const ready = kind === 'pin' ? code.length >= 6 : code.length === 6;
  const label = kind === 'pin' ? 'Your PIN' : 'The 6-digit code from your authenticator app';
  const field = {
    ref: input,
    id: 'factor-code',
    class: 'factor__code',
    inputMode: 'numeric' as const,
    pattern: '[0-9]*',
    maxLength: max,
    value: code,
    onInput: (event: { currentTarget: HTMLInputElement }) =>
      setCode(event.currentTarget.value.replace(/\D/g, '').slice(0, max)),
  };
  return (
    <form
      class="factor__form"
      onSubmit={(event) => {
        event.preventDefault();
        if (!ready) return;
        answerRef.current = { kind, code };
        dispatch({ type: 'FACTOR_SUBMITTED' });
      }}
    >
      <label class="factor__label" for="factor-code">
        {label}
      </label>
      {kind === 'pin' ? (
        <input type="password" autoComplete="off" {...field} />
      ) : (
        <input type="text" autoComplete="one-time-code" {...field} />
      )}
      <fieldset class="keypad">
        <legend class="visually-hidden">{kind === 'pin' ? 'PIN pad' : 'Number pad'}</legend>
        {PAD_KEYS.map((digit) => (
          <button key={digit} type="button" class="keypad__key" onClick={() => type(digit)}>
            {digit}
          </button>
        ))}
        <button
          type="button"
          class="keypad__key keypad__key--fn"
          aria-label="Delete the last digit"
          onClick={() => {
            setCode((c) => c.slice(0, -1));
            input.current?.focus();
          }}
        >
          ⌫
        </button>
        <button type="button" class="keypad__key" onClick={() => type('0')}>
          0
        </button>
        <button type="submit" class="keypad__key keypad__key--ok" disabled={!ready}>
          OK
        </button>
      </fieldset>
    </form>
  );
}
