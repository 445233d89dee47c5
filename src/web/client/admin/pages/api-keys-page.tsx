import { useEffect, useState } from 'preact/hooks';
import { errorMessage } from '../../shared/api.js';
import { type ApiKeyDto, createApiKey, listApiKeys, revokeApiKey } from '../admin-api.js';
import type { Role } from '../session.js';
import { ConfirmDialog, Field, formatDate, Notice, PageHeader, SelectField } from '../ui.js';

/** API keys: create (secret shown once), list with last use, revoke. */
export function ApiKeysPage() {
  const [keys, setKeys] = useState<ApiKeyDto[] | null>(null);
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('kiosk');
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);
  const [revoking, setRevoking] = useState<ApiKeyDto | null>(null);
  const [error, setError] = useState<string | null>(null);

  const reload = (): void => {
    listApiKeys()
      .then(setKeys)
      .catch((e) => setError(errorMessage(e)));
  };
  useEffect(reload, []);

  return (
    <section>
      <PageHeader title="API keys" />
      {error ? <Notice kind="error">{error}</Notice> : null}
      {created ? (
        <div class="card card--highlight" role="status" data-testid="new-key">
          <h2>Key “{created.name}” created</h2>
          <p>
            Copy it now: it is shown only once. On a kiosk, open the kiosk page and paste it under “Kiosk
            set-up”.
          </p>
          <div class="secret-row">
            <label for="new-key-value" class="visually-hidden">
              New API key
            </label>
            <input
              id="new-key-value"
              class="secret"
              readOnly
              value={created.secret}
              onFocus={(e) => e.currentTarget.select()}
            />
            <button
              type="button"
              class="btn btn--ghost"
              onClick={() => void navigator.clipboard?.writeText(created.secret)}
            >
              Copy
            </button>
            <button type="button" class="btn btn--ghost" onClick={() => setCreated(null)}>
              Done
            </button>
          </div>
        </div>
      ) : null}
      <form
        class="card form-inline"
        onSubmit={async (e) => {
          e.preventDefault();
          setError(null);
          try {
            const result = await createApiKey(name.trim(), role);
            setCreated({ name: name.trim(), secret: result.secret });
            setName('');
            reload();
          } catch (err) {
            setError(errorMessage(err));
          }
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
        <button type="submit" class="btn btn--primary">
          Create key
        </button>
      </form>
      <div class="table-wrap">
        <table class="table" data-testid="key-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Prefix</th>
              <th scope="col">Role</th>
              <th scope="col" class="col-optional">
                Created
              </th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys?.map((k) => (
              <tr key={k.id} class={k.revokedAt ? 'row--muted' : ''}>
                <td>{k.name}</td>
                <td class="mono">fg_{k.prefix}_…</td>
                <td>{k.role}</td>
                <td class="col-optional">{formatDate(k.createdAt)}</td>
                <td>{k.lastUsedAt ? formatDate(k.lastUsedAt) : 'never'}</td>
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
            {keys && keys.length === 0 ? (
              <tr>
                <td colSpan={6} class="empty">
                  No API key yet. Create one per kiosk.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      {revoking ? (
        <ConfirmDialog
          title={`Revoke “${revoking.name}”?`}
          confirmLabel="Revoke key"
          danger
          onCancel={() => setRevoking(null)}
          onConfirm={async () => {
            try {
              await revokeApiKey(revoking.id);
              reload();
            } catch (e) {
              setError(errorMessage(e));
            }
            setRevoking(null);
          }}
        >
          <p>Every kiosk or integration using this key stops working at once. This cannot be undone.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
