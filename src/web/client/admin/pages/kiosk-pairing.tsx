import { useEffect, useRef, useState } from 'preact/hooks';
import QRCode from 'qrcode';
import { errorMessage } from '../../shared/api.js';
import { setKioskSetupPin, startPairing } from '../admin-api.js';
import { Field, InlineForm, Notice } from '../ui.js';

/**
 * Copies text with the Clipboard API, or (plain-HTTP hosts, where that API is missing) by selecting `input` and
 * `execCommand('copy')`. Resolves to whether the browser reported a copy.
 */
export async function copyText(text: string, input: HTMLInputElement | null): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Fall through to the selection fallback.
  }
  if (!input) return false;
  input.focus();
  input.select();
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  }
}

/** A read-only value with a Copy button that says "Copied ✓", or how to copy by hand when it could not. */
export function CopyField({ id, label, value }: { id: string; label: string; value: string }) {
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  return (
    <div class="secret-row">
      <label for={id} class="visually-hidden">
        {label}
      </label>
      <input
        id={id}
        ref={input}
        class="secret"
        readOnly
        value={value}
        onFocus={(e) => e.currentTarget.select()}
      />
      <button
        type="button"
        class="btn btn--ghost"
        onClick={() => void copyText(value, input.current).then((ok) => setCopied(ok ? 'yes' : 'no'))}
      >
        {copied === 'yes' ? 'Copied ✓' : 'Copy'}
      </button>
      <span class="muted" role="status">
        {copied === 'no' ? 'The text is selected: press Ctrl+C (⌘C on a Mac) to copy it.' : ''}
      </span>
    </div>
  );
}

interface Pairing {
  name: string;
  code: string;
  url: string;
  expiresAt: string;
  qr: string;
}

/** "Pair a kiosk": a one-time code and a QR code of `/?pair=<code>` for the kiosk to open. */
export function PairKiosk({ onPaired }: { onPaired: () => void }) {
  const [name, setName] = useState('');
  const [allowPhotoUpload, setAllowPhotoUpload] = useState(false);
  const [pairing, setPairing] = useState<Pairing | null>(null);
  const [error, setError] = useState<string | null>(null);
  const start = async (): Promise<void> => {
    setError(null);
    try {
      const started = await startPairing(name.trim(), allowPhotoUpload);
      const url = `${location.origin}/?pair=${encodeURIComponent(started.code)}`;
      const svg = await QRCode.toString(url, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' });
      setPairing({
        name: name.trim(),
        ...started,
        url,
        qr: `data:image/svg+xml;utf8,${encodeURIComponent(svg)}`,
      });
      setName('');
      onPaired();
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  return (
    <div class="card">
      <h2>Pair a kiosk</h2>
      <p class="muted">
        Creates a kiosk key without showing its secret: open the kiosk page on the tablet by scanning the QR
        code, or type the code under “Kiosk set-up”. The code works once, for ten minutes.
      </p>
      {error ? <Notice kind="error">{error}</Notice> : null}
      <InlineForm submitLabel="Create pairing code" onSubmit={() => void start()}>
        <Field
          label="Kiosk name"
          name="kioskName"
          required
          placeholder="Front door"
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <label class="checkbox checkbox--inline">
          <input
            type="checkbox"
            checked={allowPhotoUpload}
            onChange={(e) => setAllowPhotoUpload(e.currentTarget.checked)}
          />
          <span>Offer “Use a photo instead” (not for door kiosks)</span>
        </label>
      </InlineForm>
      {pairing ? <PairingCode pairing={pairing} onTick={onPaired} /> : null}
    </div>
  );
}

function PairingCode({ pairing, onTick }: { pairing: Pairing; onTick: () => void }) {
  const [left, setLeft] = useState(() => Date.parse(pairing.expiresAt) - Date.now());
  useEffect(() => {
    const id = window.setInterval(() => setLeft(Date.parse(pairing.expiresAt) - Date.now()), 1000);
    return () => window.clearInterval(id);
  }, [pairing]);
  // The key appears in the list once the kiosk redeemed the code: look every few seconds while it is valid.
  const valid = left > 0;
  useEffect(() => {
    if (!valid) return;
    const id = window.setInterval(onTick, 3000);
    return () => window.clearInterval(id);
  }, [pairing, valid]);
  const minutes = Math.max(0, Math.ceil(left / 60_000));
  return (
    <div class="pairing" data-testid="pairing">
      <img
        class="pairing__qr"
        src={pairing.qr}
        alt={`QR code opening the kiosk page with pairing code ${pairing.code}`}
      />
      <div>
        <p>
          Pairing code for “{pairing.name}”:
          <strong class="pairing__code" data-testid="pairing-code">
            {pairing.code}
          </strong>
        </p>
        <p class="muted">
          {left > 0 ? `Valid for about ${minutes} more minute(s), once.` : 'Expired: create a new code.'}
        </p>
        <CopyField id="pairing-url" label="Kiosk pairing link" value={pairing.url} />
      </div>
    </div>
  );
}

/** The kiosk set-up PIN: asked at a kiosk (after holding the logo) before its set-up opens. */
export function SetupPinForm({ pinSet, onSaved }: { pinSet: boolean; onSaved: () => void }) {
  const [pin, setPin] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const save = async (value: string | null): Promise<void> => {
    setError(null);
    setMessage(null);
    try {
      await setKioskSetupPin(value);
      setPin('');
      setMessage(value ? 'Set-up PIN saved.' : 'Set-up PIN removed: kiosks can be set up only by pairing.');
      onSaved();
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  return (
    <div class="card">
      <h2>Kiosk set-up PIN</h2>
      <p class="muted">
        At a kiosk, set-up opens only after holding the facegate logo for three seconds and entering this PIN.
        Without a PIN, a kiosk is set up again only by pairing it from here.{' '}
        {pinSet ? 'A PIN is set.' : 'No PIN is set.'}
      </p>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {message ? <Notice kind="ok">{message}</Notice> : null}
      <InlineForm submitLabel="Save PIN" onSubmit={() => void save(pin.trim())}>
        <Field
          label="New set-up PIN (4 to 12 digits)"
          name="setupPin"
          type="password"
          inputMode="numeric"
          pattern="\d{4,12}"
          autoComplete="new-password"
          required
          value={pin}
          onInput={(e) => setPin(e.currentTarget.value)}
        />
      </InlineForm>
      {pinSet ? (
        <button type="button" class="btn btn--ghost" onClick={() => void save(null)}>
          Remove the PIN
        </button>
      ) : null}
    </div>
  );
}
