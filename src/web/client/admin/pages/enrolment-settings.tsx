import { useState } from 'preact/hooks';
import { type EnrolmentSettingsDto, getEnrolmentSettings, saveEnrolmentSettings } from '../enrolment-api.js';
import { ActionNotices, useAction, useLoaded } from '../ui.js';

/**
 * The settings of self-service enrolment: the consent text employees accept (a changed text gets a new version,
 * and links not yet used ask for consent again) and auto-approval of submissions that pass every check.
 */
export function EnrolmentSettings({ editable }: { editable: boolean }) {
  const action = useAction();
  const [loaded, reload] = useLoaded(getEnrolmentSettings, action.setError);
  const [draft, setDraft] = useState<EnrolmentSettingsDto | null>(null);
  const current = draft ?? loaded;
  if (!current) return <ActionNotices action={action} />;
  const save = () =>
    void action.run(async () => {
      await saveEnrolmentSettings({ consentText: current.consent.text, autoApprove: current.autoApprove });
      setDraft(null);
      reload();
    }, 'Enrolment settings saved.');
  return (
    <form
      class="card"
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
    >
      <h2>Self-service enrolment</h2>
      <ActionNotices action={action} />
      <label for="consent-text">
        Consent text (version {loaded?.consent.version ?? current.consent.version})
      </label>
      <textarea
        id="consent-text"
        rows={8}
        readOnly={!editable}
        value={current.consent.text}
        onInput={(e) =>
          setDraft({ ...current, consent: { ...current.consent, text: e.currentTarget.value } })
        }
      />
      <label class="checkbox">
        <input
          type="checkbox"
          disabled={!editable}
          checked={current.autoApprove}
          onChange={(e) => setDraft({ ...current, autoApprove: e.currentTarget.checked })}
        />
        <span>Approve submissions that pass every check without review (off by default)</span>
      </label>
      {editable ? (
        <div class="actions-row">
          <button type="submit" class="btn btn--primary" disabled={action.busy || draft === null}>
            Save enrolment settings
          </button>
        </div>
      ) : null}
    </form>
  );
}
