import { useState } from 'preact/hooks';
import { createUser, deleteUser, listUsers, type UserDto, updateUser } from '../admin-api.js';
import { resetFactors } from '../factors-api.js';
import type { Me, Role } from '../session.js';
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

const ROLE_OPTIONS = [
  { value: 'admin', label: 'Admin — everything' },
  { value: 'enroller', label: 'Enroller — employees and photos' },
  { value: 'auditor', label: 'Auditor — audit log, no photos' },
];

/** Admin users and their roles. */
// Long by design: one page of JSX markup over small handlers; the logic lives in the imported helpers.
export function UsersPage({ me }: { me: Me }) {
  const action = useAction();
  const [users, reload] = useLoaded(listUsers, action.setError);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('enroller');
  const [deleting, setDeleting] = useState<UserDto | null>(null);
  const [resetting, setResetting] = useState<UserDto | null>(null);

  const run = async (fn: () => Promise<void>, ok: string): Promise<void> => {
    if (await action.run(fn, ok)) reload();
  };

  return (
    <section>
      <PageHeader title="Users and roles" />
      <ActionNotices action={action} />
      <InlineForm
        submitLabel="Add user"
        onSubmit={() => {
          void run(async () => {
            await createUser({ username: username.trim(), password, role });
            setUsername('');
            setPassword('');
          }, 'User created.');
        }}
      >
        <Field
          label="Username"
          name="newUsername"
          required
          autoComplete="off"
          value={username}
          onInput={(e) => setUsername(e.currentTarget.value)}
        />
        <Field
          label="Initial password"
          name="newPassword"
          type="password"
          required
          minLength={12}
          autoComplete="new-password"
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <SelectField
          label="Role"
          name="newRole"
          value={role}
          onChange={(e) => setRole(e.currentTarget.value as Role)}
          options={ROLE_OPTIONS}
        />
      </InlineForm>
      <DataTable
        testId="user-table"
        columns={[
          { label: 'Username' },
          { label: 'Role' },
          { label: 'Status' },
          { label: 'Last sign-in', optional: true },
          { label: 'Actions', hidden: true },
        ]}
      >
        {users?.map((u) => {
          const self = u.id === me.id;
          return (
            <tr key={u.id}>
              <td>
                {u.username}
                {self ? <span class="muted"> (you)</span> : null}
              </td>
              <td>
                <label for={`role-${u.id}`} class="visually-hidden">
                  Role of {u.username}
                </label>
                <select
                  id={`role-${u.id}`}
                  value={u.role}
                  disabled={self}
                  onChange={(e) =>
                    void run(() => updateUser(u.id, { role: e.currentTarget.value as Role }), 'Role changed.')
                  }
                >
                  {ROLE_OPTIONS.map((o) => (
                    <option key={o.value} value={o.value}>
                      {o.value}
                    </option>
                  ))}
                </select>
              </td>
              <td>
                {u.disabled ? (
                  <span class="badge badge--bad">Disabled</span>
                ) : (
                  <span class="badge badge--ok">Active</span>
                )}
              </td>
              <td class="col-optional">{formatDate(u.lastLoginAt)}</td>
              <td class="right nowrap cell-actions">
                {self ? null : (
                  <>
                    <button
                      type="button"
                      class="btn btn--ghost btn--small"
                      onClick={() =>
                        void run(
                          () => updateUser(u.id, { disabled: !u.disabled }),
                          u.disabled ? 'User enabled.' : 'User disabled.',
                        )
                      }
                    >
                      {u.disabled ? 'Enable' : 'Disable'}
                    </button>{' '}
                    <button type="button" class="btn btn--ghost btn--small" onClick={() => setResetting(u)}>
                      Reset sign-in factors
                    </button>{' '}
                    <button type="button" class="btn btn--ghost btn--small" onClick={() => setDeleting(u)}>
                      Delete
                    </button>
                  </>
                )}
              </td>
            </tr>
          );
        })}
      </DataTable>
      {resetting ? (
        <ConfirmDialog
          title={`Reset the sign-in factors of “${resetting.username}”?`}
          confirmLabel="Reset factors"
          danger
          onCancel={() => setResetting(null)}
          onConfirm={() => {
            const id = resetting.id;
            setResetting(null);
            void run(async () => {
              await resetFactors({ type: 'user', id });
            }, 'Sign-in factors reset. The audit log records it.');
          }}
        >
          <p>
            Their authenticator apps, passkeys and recovery codes are removed — for a lost or stolen device.
            They set up a new one under “Sign-in security”. The audit log records the reset.
          </p>
        </ConfirmDialog>
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title={`Delete user “${deleting.username}”?`}
          confirmLabel="Delete user"
          danger
          onCancel={() => setDeleting(null)}
          onConfirm={() => {
            const id = deleting.id;
            setDeleting(null);
            void run(() => deleteUser(id), 'User deleted.');
          }}
        >
          <p>Their sessions end at once. Audit records of their actions are kept.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
