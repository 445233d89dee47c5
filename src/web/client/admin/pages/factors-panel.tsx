import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import QRCode from 'qrcode';
import {
  confirmTotp,
  enrolTotp,
  type FactorDto,
  type FactorListDto,
  type FactorSubject,
  listFactors,
  regenerateRecoveryCodes,
  registerPasskey,
  removeFactor,
  resetFactors,
  setPin,
  type TotpEnrolmentDto,
} from '../factors-api.js';
import {
  ActionNotices,
  ConfirmDialog,
  DataTable,
  downloadText,
  Field,
  formatDate,
  useAction,
  useFieldId,
} from '../ui.js';

const KIND_NAMES: Record<FactorDto['kind'], string> = {
  totp: 'Authenticator app',
  webauthn: 'Passkey',
  pin: 'PIN',
};

/** What the panel may do: enrol (add factors), reset (remove them), and whether a PIN is offered. */
export interface FactorsPanelProps {
  subject: FactorSubject;
  /** "Ada's" / "Your": for the sentences of the panel. */
  whose: string;
  canEnrol: boolean;
  canReset: boolean;
  /** PINs are a kiosk factor: offered for employees only. */
  allowPin: boolean;
  /** Called after a reset (the page may want to say what to do next). */
  onReset?: (removed: number) => void;
}

type Open = 'none' | 'totp' | 'pin';

/**
 * The second factors of one subject: the list, enrolment (authenticator app with a QR code, passkey in this
 * browser, PIN), new recovery codes shown exactly once, and removal or a full reset for a lost device.
 */
// Long by design: one card of JSX markup over small handlers; the requests live in factors-api.ts.
export function FactorsPanel({ whose, canEnrol, canReset, allowPin, onReset, ...props }: FactorsPanelProps) {
  // One subject object per subject (the page builds a new one on each render).
  const subjectKey = JSON.stringify(props.subject);
  const subject = useMemo(() => props.subject, [subjectKey]);
  const [list, setList] = useState<FactorListDto | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [open, setOpen] = useState<Open>('none');
  const [confirm, setConfirm] = useState<{ kind: 'reset' } | { kind: 'remove'; factor: FactorDto } | null>(
    null,
  );
  const action = useAction();
  const titleId = useFieldId('factors-title');

  const reload = useCallback(async () => setList(await listFactors(subject)), [subject]);
  useEffect(() => {
    void action.run(reload);
  }, [reload]);

  const strong = list?.factors.some((f) => f.status === 'active' && f.kind !== 'pin') ?? false;
  const shown = list?.factors.filter((f) => f.status === 'active') ?? [];
  const done = async (recovery?: string[] | null): Promise<void> => {
    if (recovery && recovery.length > 0) setCodes(recovery);
    setOpen('none');
    await reload();
  };

  return (
    <section class="card factors" aria-labelledby={titleId} data-testid="factors-panel">
      <h2 id={titleId}>Second factors</h2>
      <p class="muted">
        {list
          ? `${whose} second sign-in step ${subject.type === 'employee' ? 'after the face at a kiosk' : 'after the password'}. ${list.recoveryCodesLeft} recovery code(s) left.`
          : 'Loading…'}
      </p>
      <ActionNotices action={action} />
      {codes ? <RecoveryCodes codes={codes} whose={whose} onClose={() => setCodes(null)} /> : null}
      <DataTable
        testId="factor-table"
        columns={[
          { label: 'Factor' },
          { label: 'Name', optional: true },
          { label: 'Added', optional: true },
          { label: 'Last used' },
          canReset ? { label: 'Actions', hidden: true } : null,
        ]}
        dense
        empty={list && shown.length === 0 ? 'No second factor is set up.' : null}
      >
        {shown.map((f) => (
          <tr key={f.id}>
            <td>{KIND_NAMES[f.kind]}</td>
            <td class="col-optional">{f.label ?? '—'}</td>
            <td class="col-optional">{formatDate(f.createdAt)}</td>
            <td>{formatDate(f.lastUsedAt)}</td>
            {canReset ? (
              <td>
                <button
                  type="button"
                  class="btn btn--ghost btn--small"
                  aria-label={`Remove ${KIND_NAMES[f.kind]}${f.label ? ` ${f.label}` : ''}`}
                  onClick={() => setConfirm({ kind: 'remove', factor: f })}
                >
                  Remove
                </button>
              </td>
            ) : null}
          </tr>
        ))}
      </DataTable>
      {canEnrol || canReset ? (
        <div class="actions-row factors__actions">
          {canEnrol ? (
            <>
              <button type="button" class="btn btn--ghost" onClick={() => setOpen('totp')}>
                Set up authenticator app
              </button>
              <button
                type="button"
                class="btn btn--ghost"
                disabled={action.busy}
                onClick={() =>
                  void action.run(async () => {
                    await done(await registerPasskey(subject));
                  }, 'Passkey registered.')
                }
              >
                Register a passkey
              </button>
              {allowPin ? (
                <button type="button" class="btn btn--ghost" onClick={() => setOpen('pin')}>
                  Set PIN
                </button>
              ) : null}
              {strong ? (
                <button
                  type="button"
                  class="btn btn--ghost"
                  disabled={action.busy}
                  onClick={() =>
                    void action.run(async () => {
                      await done(await regenerateRecoveryCodes(subject));
                    }, 'New recovery codes made: the old ones no longer work.')
                  }
                >
                  New recovery codes
                </button>
              ) : null}
            </>
          ) : null}
          {canReset && list && (list.factors.length > 0 || list.recoveryCodesLeft > 0) ? (
            <button type="button" class="btn btn--danger" onClick={() => setConfirm({ kind: 'reset' })}>
              Reset all factors…
            </button>
          ) : null}
        </div>
      ) : null}
      {open === 'totp' ? (
        <TotpEnrolment
          subject={subject}
          onCancel={() => setOpen('none')}
          onDone={(recovery) => void action.run(() => done(recovery), 'Authenticator app active.')}
        />
      ) : null}
      {open === 'pin' ? (
        <PinForm
          subject={subject}
          onCancel={() => setOpen('none')}
          onDone={() => void action.run(() => done(), 'PIN set.')}
        />
      ) : null}
      {confirm ? (
        <ConfirmDialog
          title={
            confirm.kind === 'reset'
              ? 'Reset all second factors?'
              : `Remove this ${KIND_NAMES[confirm.factor.kind]}?`
          }
          confirmLabel={confirm.kind === 'reset' ? 'Reset factors' : 'Remove'}
          danger
          busy={action.busy}
          onCancel={() => setConfirm(null)}
          onConfirm={() => {
            const current = confirm;
            setConfirm(null);
            void action.run(
              async () => {
                if (current.kind === 'remove') await removeFactor(subject, current.factor.id);
                else onReset?.(await resetFactors(subject));
                await reload();
              },
              current.kind === 'reset'
                ? 'All second factors and recovery codes were removed. The audit log records the reset.'
                : 'Factor removed.',
            );
          }}
        >
          {confirm.kind === 'reset' ? (
            <p>
              Every authenticator app, passkey, PIN and recovery code is removed at once — for a lost or
              stolen device. Where the policy asks a second factor, sign-in is refused until a new one is set
              up.
            </p>
          ) : (
            <p>It can no longer be used to sign in.</p>
          )}
        </ConfirmDialog>
      ) : null}
    </section>
  );
}

/** Recovery codes, shown this once: a list to write down or download. */
function RecoveryCodes({ codes, whose, onClose }: { codes: string[]; whose: string; onClose: () => void }) {
  const ref = useRef<HTMLElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <section
      ref={ref}
      class="recovery-codes"
      aria-label="Recovery codes"
      tabIndex={-1}
      data-testid="recovery-codes"
    >
      <p>
        <strong>{whose} recovery codes, shown only now.</strong> Each works once, in place of the
        authenticator app or passkey. Keep them somewhere safe.
      </p>
      <ol class="recovery-codes__list">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ol>
      <div class="actions-row">
        <button
          type="button"
          class="btn btn--ghost btn--small"
          onClick={() =>
            downloadText('recovery-codes.txt', `${codes.join('\n')}\n`, 'text/plain;charset=utf-8')
          }
        >
          Download
        </button>
        <button type="button" class="btn btn--primary btn--small" onClick={onClose}>
          I have saved them
        </button>
      </div>
    </section>
  );
}

/** TOTP enrolment: the QR code of the otpauth URI (and the secret to type in), then one code activates it. */
function TotpEnrolment({
  subject,
  onCancel,
  onDone,
}: {
  subject: FactorSubject;
  onCancel: () => void;
  onDone: (recovery: string[]) => void;
}) {
  const [enrolment, setEnrolment] = useState<(TotpEnrolmentDto & { qr: string }) | null>(null);
  const [code, setCode] = useState('');
  const action = useAction();
  useEffect(() => {
    void action.run(async () => {
      const started = await enrolTotp(subject);
      const svg = await QRCode.toString(started.uri, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' });
      setEnrolment({ ...started, qr: `data:image/svg+xml;utf8,${encodeURIComponent(svg)}` });
    });
  }, [subject]);
  return (
    <form
      class="subcard totp-enrolment"
      aria-label="Set up an authenticator app"
      onSubmit={(event) => {
        event.preventDefault();
        if (!enrolment) return;
        void action.run(async () => onDone(await confirmTotp(subject, enrolment.factorId, code.trim())));
      }}
    >
      <h3>Set up an authenticator app</h3>
      <ActionNotices action={action} />
      {enrolment ? (
        <>
          <img class="totp-enrolment__qr" src={enrolment.qr} alt="QR code of the authenticator app set-up" />
          <p class="muted">
            Scan the code with the authenticator app, or type in the key{' '}
            <code data-testid="totp-secret">{enrolment.secret}</code>. It becomes active after one code.
          </p>
          <Field
            label="Code from the app"
            name="totp-code"
            inputMode="numeric"
            autoComplete="one-time-code"
            required
            value={code}
            onInput={(e) => setCode(e.currentTarget.value)}
          />
          <div class="actions-row">
            <button type="submit" class="btn btn--primary" disabled={action.busy}>
              Activate
            </button>
            <button type="button" class="btn btn--ghost" onClick={onCancel}>
              Cancel
            </button>
          </div>
        </>
      ) : null}
    </form>
  );
}

/** Sets a PIN (6+ digits; the server refuses trivial ones). */
function PinForm({
  subject,
  onCancel,
  onDone,
}: {
  subject: FactorSubject;
  onCancel: () => void;
  onDone: () => void;
}) {
  const [pin, setPinValue] = useState('');
  const action = useAction();
  return (
    <form
      class="subcard"
      aria-label="Set a PIN"
      onSubmit={(event) => {
        event.preventDefault();
        void action.run(async () => {
          await setPin(subject, pin);
          onDone();
        });
      }}
    >
      <h3>Set a PIN</h3>
      <ActionNotices action={action} />
      <Field
        label="New PIN"
        name="new-pin"
        type="password"
        inputMode="numeric"
        autoComplete="new-password"
        hint="At least 6 digits, not a run or a repeat (123456, 111111)."
        required
        minLength={6}
        value={pin}
        onInput={(e) => setPinValue(e.currentTarget.value.replace(/\D/g, ''))}
      />
      <div class="actions-row">
        <button type="submit" class="btn btn--primary" disabled={action.busy}>
          Save PIN
        </button>
        <button type="button" class="btn btn--ghost" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
