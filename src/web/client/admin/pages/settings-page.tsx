import { useEffect, useState } from 'preact/hooks';
import { errorMessage } from '../../shared/api.js';
import {
  type CalibrationDto,
  getCalibration,
  getSettings,
  type PresetName,
  type SettingsDto,
  saveSettings,
} from '../admin-api.js';
import { can, type Me } from '../session.js';
import { Field, Notice, PageHeader } from '../ui.js';
import { EnrolmentSettings } from './enrolment-settings.js';

const PRESET_TEXT: Record<string, string> = {
  strict: 'Strict — fewest false accepts, more "try again"',
  balanced: 'Balanced',
  lenient: 'Lenient — fewer retries, more false accepts',
};

function formatRate(rate: number | null): string {
  if (rate === null) return '—';
  if (rate === 0) return '0';
  const oneIn = Math.round(1 / rate);
  return `${(rate * 100).toPrecision(2)} % (1 in ${oneIn.toLocaleString()})`;
}

/** Settings: threshold preset with the last calibration, lockout limits, photo retention. Read-only for non-admins. */
// Long by design: one page of JSX markup over small handlers; the logic lives in the imported helpers.
export function SettingsPage({ me }: { me: Me }) {
  const [settings, setSettings] = useState<SettingsDto | null>(null);
  const [calibration, setCalibration] = useState<CalibrationDto | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const editable = can(me.role, 'settings.write');

  useEffect(() => {
    getSettings()
      .then(setSettings)
      .catch((e) => setError(errorMessage(e)));
    getCalibration()
      .then(setCalibration)
      .catch(() =>
        setCalibration({ available: false, source: 'none', measuredOn: null, presets: [], rocSvg: null }),
      );
  }, []);

  if (!settings) return error ? <Notice kind="error">{error}</Notice> : <p aria-busy="true">Loading…</p>;
  const set = (patch: Partial<SettingsDto>): void => {
    setSaved(false);
    setSettings({ ...settings, ...patch });
  };
  const setLockout = (patch: Partial<SettingsDto['lockout']>): void =>
    set({ lockout: { ...settings.lockout, ...patch } });
  const int = (v: string): number => Number.parseInt(v, 10) || 0;

  return (
    <section>
      <PageHeader title="Settings" />
      {!editable ? <Notice kind="warn">Your role can read the settings but not change them.</Notice> : null}
      {error ? <Notice kind="error">{error}</Notice> : null}
      {saved ? <Notice kind="ok">Settings saved.</Notice> : null}
      <form
        class="settings"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            await saveSettings(settings);
            setSaved(true);
          } catch (err) {
            setError(errorMessage(err));
          } finally {
            setBusy(false);
          }
        }}
      >
        <fieldset class="card" disabled={!editable}>
          <legend>Matching thresholds</legend>
          <PresetChoice
            name="identifyPreset"
            label="Kiosk identification (1:N, face only)"
            hint="Every face is compared with every employee, so the chance that some stranger passes grows with the number of employees (about N × the rate below). Strict is recommended."
            value={settings.identifyPreset}
            calibration={calibration}
            onChange={(identifyPreset) => set({ identifyPreset })}
          />
          <PresetChoice
            name="thresholdPreset"
            label="Verification (1:1, badge + face) and duplicate-face check at enrollment"
            value={settings.thresholdPreset}
            calibration={calibration}
            onChange={(thresholdPreset) => set({ thresholdPreset })}
          />
          <Calibration calibration={calibration} />
        </fieldset>
        <fieldset class="card" disabled={!editable}>
          <legend>Lockout</legend>
          <div class="form-row">
            <Field
              label="Failures before a delay"
              name="lockoutThreshold"
              type="number"
              min={1}
              max={1000}
              value={settings.lockout.threshold}
              onInput={(e) => setLockout({ threshold: int(e.currentTarget.value) })}
            />
            <Field
              label="First delay (seconds)"
              name="lockoutDelay"
              type="number"
              min={1}
              max={86400}
              value={settings.lockout.baseDelaySeconds}
              onInput={(e) => setLockout({ baseDelaySeconds: int(e.currentTarget.value) })}
            />
            <Field
              label="Hard cap (locks face login)"
              name="lockoutHardCap"
              type="number"
              min={2}
              value={settings.lockout.hardCap}
              hint="After this many consecutive failures, only an administrator can unlock the employee."
              onInput={(e) => setLockout({ hardCap: int(e.currentTarget.value) })}
            />
          </div>
        </fieldset>
        <fieldset class="card" disabled={!editable}>
          <legend>Photos and retention</legend>
          <label class="checkbox">
            <input
              type="checkbox"
              name="keepPhotos"
              checked={settings.keepPhotos}
              onChange={(e) => set({ keepPhotos: e.currentTarget.checked })}
            />
            Keep enrollment photos (encrypted). Templates are always kept; without photos, re-enrollment needs
            new photos.
          </label>
          <label class="checkbox">
            <input
              type="checkbox"
              name="kioskShowPhoto"
              checked={settings.kioskShowPhoto}
              onChange={(e) => set({ kioskShowPhoto: e.currentTarget.checked })}
            />
            Show the employee's enrollment photo on the kiosk welcome screen (a link valid for 30 seconds, for
            that kiosk only).
          </label>
          <Field
            label="Audit retention (days)"
            name="auditRetentionDays"
            type="number"
            min={1}
            value={settings.auditRetentionDays}
            onInput={(e) => set({ auditRetentionDays: int(e.currentTarget.value) })}
          />
        </fieldset>
        {editable ? (
          <div class="actions-row">
            <button type="submit" class="btn btn--primary" disabled={busy}>
              {busy ? 'Saving…' : 'Save settings'}
            </button>
          </div>
        ) : null}
      </form>
      <EnrolmentSettings editable={editable} />
    </section>
  );
}

function PresetChoice({
  name,
  label,
  hint,
  value,
  calibration,
  onChange,
}: {
  name: string;
  label: string;
  hint?: string;
  value: PresetName;
  calibration: CalibrationDto | null;
  onChange: (preset: PresetName) => void;
}) {
  return (
    <div class="preset-choice">
      <h2 id={`${name}-label`} class="h3">
        {label}
      </h2>
      {hint ? <p class="muted">{hint}</p> : null}
      <div class="radio-list" role="radiogroup" aria-labelledby={`${name}-label`}>
        {(['strict', 'balanced', 'lenient'] as const).map((preset) => {
          const fig = calibration?.presets.find((p) => p.preset === preset);
          return (
            <label key={preset} class={`radio-card ${value === preset ? 'radio-card--on' : ''}`}>
              <input
                type="radio"
                name={name}
                value={preset}
                checked={value === preset}
                onChange={() => onChange(preset)}
              />
              <span>
                <strong>{PRESET_TEXT[preset]}</strong>
                <small class="muted">
                  {calibration?.source === 'shipped'
                    ? 'Shipped calibration: false-accept rate per comparison ≤ '
                    : 'Expected false-accept rate per comparison: '}
                  {formatRate(fig?.far ?? null)}
                  {fig?.frr !== null && fig?.frr !== undefined
                    ? ` · false rejects: ${formatRate(fig.frr)}`
                    : ''}
                </small>
              </span>
            </label>
          );
        })}
      </div>
    </div>
  );
}

function Calibration({ calibration }: { calibration: CalibrationDto | null }) {
  if (!calibration) return <p aria-busy="true">Loading calibration…</p>;
  if (calibration.source === 'shipped') return <ShippedCalibration calibration={calibration} />;
  if (!calibration.available) {
    return (
      <p class="muted">
        No calibration has been saved yet. Run <code>facegate eval --save-calibration</code> to measure the
        ROC curve and the false-accept rate of each preset on your own photos.
      </p>
    );
  }
  return (
    <div class="calibration">
      <h2 class="h3">Last calibration{calibration.measuredOn ? ` (${calibration.measuredOn})` : ''}</h2>
      {calibration.rocSvg ? (
        // The server's chart (the same one `facegate eval` writes); an <img> runs none of its markup.
        <img
          class="roc-image"
          alt="ROC curve of the last calibration"
          src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(calibration.rocSvg)}`}
        />
      ) : null}
      {calibration.presets.length ? (
        // biome-ignore lint/a11y/useSemanticElements: a scrolling wrapper, not a document section
        // biome-ignore lint/a11y/noNoninteractiveTabindex: keyboard users must be able to scroll the table
        <div class="table-scroll" tabIndex={0} role="region" aria-label="Calibration figures">
          <table class="table table--dense">
            <thead>
              <tr>
                <th scope="col">Preset</th>
                <th scope="col">Threshold</th>
                <th scope="col">Expected false accepts</th>
                <th scope="col">False rejects</th>
              </tr>
            </thead>
            <tbody>
              {calibration.presets.map((p) => (
                <tr key={p.preset}>
                  <td>{p.preset}</td>
                  <td class="mono">{p.threshold?.toFixed(3) ?? '—'}</td>
                  <td>{formatRate(p.far)}</td>
                  <td>{formatRate(p.frr)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </div>
  );
}

/** The model's shipped calibration, shown until `facegate eval --save-calibration` measured one here. */
function ShippedCalibration({ calibration }: { calibration: CalibrationDto }) {
  return (
    <div class="calibration" data-testid="shipped-calibration">
      <h2 class="h3">Shipped calibration of the face model</h2>
      <p class="muted">
        These figures were measured for the model this server runs, before shipping ({calibration.measuredOn}
        ), on public photos rather than your employees. Run <code>facegate eval --save-calibration</code> on
        your own photos to replace them with a local calibration.
      </p>
      {/* biome-ignore lint/a11y/useSemanticElements: a scrolling wrapper, not a document section */}
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: keyboard users must be able to scroll the table */}
      <div class="table-scroll" tabIndex={0} role="region" aria-label="Calibration figures">
        <table class="table table--dense">
          <thead>
            <tr>
              <th scope="col">Preset</th>
              <th scope="col">Threshold</th>
              <th scope="col">False accepts at most</th>
            </tr>
          </thead>
          <tbody>
            {calibration.presets.map((p) => (
              <tr key={p.preset}>
                <td>{p.preset}</td>
                <td class="mono">{p.threshold?.toFixed(3) ?? '—'}</td>
                <td>
                  {formatRate(p.far)}
                  {p.preset === 'strict' ? ' (extrapolated)' : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
