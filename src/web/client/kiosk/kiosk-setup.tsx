import { useEffect, useRef, useState } from 'preact/hooks';
import type { KioskConfigDto } from '../shared/api-types.js';
import { checkSetupPin, KioskSetupError, redeemPairing, verifyKey } from './kiosk-key.js';

interface SetupProps {
  notice: string | null;
  hasKey: boolean;
  /** A pairing code from `/?pair=…`, redeemed at once. */
  pairCode: string | null;
  onSaved: (key: string, config: KioskConfigDto) => void;
  onCancel: () => void;
}

/**
 * Kiosk set-up: a pairing code (typed, or from the QR code's link) or a kiosk key. Whatever is entered is checked
 * with the server first; the current key stays until the new one works.
 */
// Long by design: one page of JSX markup over small handlers; the logic lives in the imported helpers.
export function KioskSetup({ notice, hasKey, pairCode, onSaved, onCancel }: SetupProps) {
  const [code, setCode] = useState(pairCode ?? '');
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);

  const apply = async (getKey: () => Promise<string>): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const secret = await getKey();
      onSaved(secret, await verifyKey(secret));
    } catch (e) {
      setError(e instanceof KioskSetupError ? e.message : 'Something went wrong. Nothing was changed.');
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    heading.current?.focus();
    if (pairCode) void apply(() => redeemPairing(pairCode));
  }, []);

  return (
    <div class="kiosk kiosk--setup">
      <main class="setup">
        <h1 class="headline headline--small" tabIndex={-1} ref={heading}>
          Kiosk set-up
        </h1>
        <p class="lead">
          Enter the pairing code shown in the admin console (API keys → Pair a kiosk), or scan its QR code.
        </p>
        {notice ? (
          <p class="notice notice--error" role="alert">
            {notice}
          </p>
        ) : null}
        {error ? (
          <p class="notice notice--error" role="alert" data-testid="setup-error">
            {error}
          </p>
        ) : null}
        <form
          class="setup__form"
          onSubmit={(event) => {
            event.preventDefault();
            if (code.trim()) void apply(() => redeemPairing(code.trim()));
          }}
        >
          <label for="pair-code">Pairing code</label>
          <input
            id="pair-code"
            name="pairCode"
            autoComplete="off"
            autoCapitalize="characters"
            spellcheck={false}
            placeholder="ABCD-EFGH"
            value={code}
            onInput={(event) => setCode(event.currentTarget.value)}
          />
          <div class="actions">
            <button type="submit" class="btn btn--primary" disabled={busy || !code.trim()}>
              Pair this kiosk
            </button>
            {hasKey ? (
              <button type="button" class="btn btn--ghost" onClick={onCancel}>
                Cancel
              </button>
            ) : null}
          </div>
        </form>
        <section class="setup__key" aria-labelledby="setup-key-title">
          <h2 id="setup-key-title">Or enter a kiosk key</h2>
          <form
            class="setup__form"
            onSubmit={(event) => {
              event.preventDefault();
              const trimmed = key.trim();
              if (!trimmed || /\s/.test(trimmed)) {
                setError('Paste the whole key, without spaces.');
                return;
              }
              void apply(async () => trimmed);
            }}
          >
            <label for="kiosk-key">Kiosk API key</label>
            <input
              id="kiosk-key"
              name="kioskKey"
              type="password"
              autoComplete="off"
              spellcheck={false}
              placeholder="fg_…"
              value={key}
              onInput={(event) => setKey(event.currentTarget.value)}
            />
            <div class="actions">
              <button type="submit" class="btn btn--primary" disabled={busy}>
                Save key
              </button>
            </div>
          </form>
        </section>
      </main>
    </div>
  );
}

/** Hold time of the set-up gesture on the logo. */
export const HOLD_MS = 3000;

/** The set-up PIN prompt, opened by holding the logo; set-up opens only with the right PIN. */
export function SetupUnlock({
  kioskKey,
  pinSet,
  onUnlocked,
  onClose,
}: {
  kioskKey: string;
  pinSet: boolean;
  onUnlocked: () => void;
  onClose: () => void;
}) {
  const [pin, setPin] = useState('');
  const [error, setError] = useState<string | null>(null);
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (dialog && !dialog.open) dialog.showModal();
    return () => {
      dialog?.close();
      opener?.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      class="setup setup--dialog"
      aria-labelledby="unlock-title"
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <h2 id="unlock-title">Kiosk set-up</h2>
      {pinSet ? (
        <form
          class="setup__form"
          onSubmit={(event) => {
            event.preventDefault();
            void checkSetupPin(kioskKey, pin.trim())
              .then((answer) => {
                if (answer === 'ok') onUnlocked();
                else
                  setError(
                    answer === 'wrong' ? 'Wrong PIN.' : 'Too many wrong PINs. Try again in a few minutes.',
                  );
              })
              .catch(() => setError('The server could not be reached.'));
          }}
        >
          <label for="setup-pin">Set-up PIN</label>
          <input
            id="setup-pin"
            type="password"
            inputMode="numeric"
            autoComplete="off"
            value={pin}
            onInput={(e) => setPin(e.currentTarget.value)}
          />
          {error ? (
            <p class="field-error" role="alert">
              {error}
            </p>
          ) : null}
          <div class="actions">
            <button type="submit" class="btn btn--primary">
              Open set-up
            </button>
            <button type="button" class="btn btn--ghost" onClick={onClose}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <>
          <p>No set-up PIN is configured. Pair this kiosk again from the admin console.</p>
          <button type="button" class="btn btn--primary" onClick={onClose}>
            Close
          </button>
        </>
      )}
    </dialog>
  );
}
