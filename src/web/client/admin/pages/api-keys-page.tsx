import { useState } from 'preact/hooks';
import {
  type ApiKeyDto,
  createApiKey,
  kioskOverview,
  listApiKeys,
  revokeApiKey,
  setKioskPhotoUpload,
} from '../admin-api.js';
import type { Role } from '../session.js';
import {
  ActionNotices,
  ConfirmDialog,
  DataTable,
  Field,
  formatDate,
  InlineForm,
  PageHeader,
  SelectField,
  useAction,
  useLoaded,
} from '../ui.js';
import { CopyField, PairKiosk, SetupPinForm } from './kiosk-pairing.js';

/** API keys: create (secret shown once), list with last use, revoke. */
// Long by design: one page of JSX markup over small handlers; the logic lives in the imported helpers.
export function ApiKeysPage() {
  const action = useAction();
  const [keys, reload] = useLoaded(listApiKeys, action.setError);
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('kiosk');
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);
  const [revoking, setRevoking] = useState<ApiKeyDto | null>(null);
  const [overview, reloadOverview] = useLoaded(kioskOverview, action.setError);
  const photoKeys = new Set(overview?.photoUploadKeys ?? []);

  return (
    <section>
      <PageHeader title="API keys" />
      <ActionNotices action={action} />
      {created ? (
        <div class="card card--highlight" role="status" data-testid="new-key">
          <h2>Key “{created.name}” created</h2>
          <p>
            Copy it now: it is shown only once. For a kiosk, pairing (below) is easier: nobody has to type the
            key.
          </p>
          <CopyField id="new-key-value" label="New API key" value={created.secret} />
          <button type="button" class="btn btn--ghost" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      ) : null}
      <InlineForm
        submitLabel="Create key"
        onSubmit={() => {
          void action.run(async () => {
            const result = await createApiKey(name.trim(), role);
            setCreated({ name: name.trim(), secret: result.secret });
            setName('');
            reload();
          });
        }}
      >
        <Field
          label="Key name"
          name="keyName"
          required
          placeholder="Front door kiosk"
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <SelectField
          label="Role"
          name="keyRole"
          value={role}
          onChange={(e) => setRole(e.currentTarget.value as Role)}
          options={[
            { value: 'kiosk', label: 'Kiosk (authenticate / verify only)' },
            { value: 'enroller', label: 'Enroller (integration)' },
            { value: 'auditor', label: 'Auditor (integration)' },
            { value: 'admin', label: 'Admin (integration)' },
          ]}
        />
      </InlineForm>
      <PairKiosk onPaired={reload} />
      <DataTable
        testId="key-table"
        columns={[
          { label: 'Name' },
          { label: 'Prefix' },
          { label: 'Role' },
          { label: 'Created', optional: true },
          { label: 'Last used', optional: true },
          { label: 'Photo fallback', optional: true },
          { label: 'Actions', hidden: true },
        ]}
        empty={keys && keys.length === 0 ? 'No API key yet. Create one per kiosk.' : null}
      >
        {keys?.map((k) => (
          <tr key={k.id} class={k.revokedAt ? 'row--muted' : ''}>
            <td>{k.name}</td>
            <td class="mono">fg_{k.prefix}_…</td>
            <td>{k.role}</td>
            <td class="col-optional">{formatDate(k.createdAt)}</td>
            <td class="col-optional">{k.lastUsedAt ? formatDate(k.lastUsedAt) : 'never'}</td>
            <td class="col-optional">
              {k.role === 'kiosk' && !k.revokedAt ? (
                <label class="checkbox checkbox--inline">
                  <input
                    type="checkbox"
                    aria-label={`Offer “Use a photo instead” on ${k.name}`}
                    checked={photoKeys.has(k.id)}
                    onChange={(e) => {
                      const allow = e.currentTarget.checked;
                      void action.run(async () => {
                        await setKioskPhotoUpload(k.id, allow);
                        reloadOverview();
                      });
                    }}
                  />
                  <span aria-hidden="true">Use a photo instead</span>
                </label>
              ) : (
                '—'
              )}
            </td>
            <td class="right">
              {k.revokedAt ? (
                <span class="badge badge--neutral">Revoked</span>
              ) : (
                <button type="button" class="btn btn--ghost btn--small" onClick={() => setRevoking(k)}>
                  Revoke
                </button>
              )}
            </td>
          </tr>
        ))}
      </DataTable>
      <SetupPinForm pinSet={overview?.setupPinSet ?? false} onSaved={reloadOverview} />
      {revoking ? (
        <ConfirmDialog
          title={`Revoke “${revoking.name}”?`}
          confirmLabel="Revoke key"
          danger
          onCancel={() => setRevoking(null)}
          onConfirm={() => {
            const id = revoking.id;
            setRevoking(null);
            void action.run(async () => {
              await revokeApiKey(id);
              reload();
            });
          }}
        >
          <p>Every kiosk or integration using this key stops working at once. This cannot be undone.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
