import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorMessage } from '../../shared/api.js';
import { CameraError, captureFrame, openCamera, stopCamera, whenPlaying } from '../../shared/camera.js';
import { plainText } from '../../shared/error-text.js';
import {
  createEmployee,
  deleteEmployee,
  deleteFace,
  type EmployeeDto,
  type EmployeeInput,
  employeeAction,
  type FaceDto,
  getEmployee,
  listFaces,
  type NamedPhoto,
  type PhotoResultDto,
  photoUrl,
  updateEmployee,
  uploadFaces,
} from '../admin-api.js';
import { navigate } from '../router.js';
import { can, type Me } from '../session.js';
import { ConfirmDialog, Field, formatDate, Notice, PageHeader } from '../ui.js';
import { StatusBadge } from './employees-page.js';
import { FactorsPanel } from './factors-panel.js';

/** One employee: details form, photos and enrollment, status actions and erasure. `id === null` creates one. */
// Long by design: one page of JSX markup over small handlers; the logic lives in the imported helpers.
export function EmployeePage({ me, id }: { me: Me; id: string | null }) {
  const [employee, setEmployee] = useState<EmployeeDto | null>(null);
  const [faces, setFaces] = useState<FaceDto[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<'delete' | null>(null);
  const [busy, setBusy] = useState(false);
  const canWrite = can(me.role, 'employees.write');
  const canPhotos = can(me.role, 'photos.read');

  const reload = useCallback(async () => {
    if (!id) return;
    try {
      setEmployee(await getEmployee(id));
      if (canPhotos) setFaces(await listFaces(id));
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [id, canPhotos]);

  useEffect(() => {
    void reload();
  }, [reload]);

  if (!id) {
    return (
      <section>
        <PageHeader title="Add employee" />
        <EmployeeForm
          submitLabel="Create employee"
          onSubmit={async (input) => {
            const created = await createEmployee(input);
            navigate(`/admin/employees/${encodeURIComponent(created.id)}`);
          }}
        />
      </section>
    );
  }

  if (!employee) {
    return error ? <Notice kind="error">{error}</Notice> : <p aria-busy="true">Loading…</p>;
  }

  const act = async (action: 'suspend' | 'reactivate' | 'unlock'): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await employeeAction(employee.id, action);
      setMessage(
        action === 'suspend'
          ? 'Employee suspended.'
          : action === 'unlock'
            ? 'Face login unlocked.'
            : 'Employee reactivated.',
      );
      await reload();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const name = `${employee.firstName} ${employee.lastName}`;
  return (
    <section>
      <p class="breadcrumb">
        <a href="/admin/employees">Employees</a> / {name}
      </p>
      <PageHeader title={name}>
        <StatusBadge employee={employee} />
      </PageHeader>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {message ? <Notice kind="ok">{message}</Notice> : null}
      <div class="grid-2">
        <div class="card">
          <h2>Details</h2>
          {canWrite ? (
            <EmployeeForm
              initial={employee}
              submitLabel="Save changes"
              onSubmit={async (input) => {
                setEmployee(await updateEmployee(employee.id, input));
                setMessage('Changes saved.');
              }}
            />
          ) : (
            <dl class="details">
              <dt>Badge</dt>
              <dd>{employee.badge}</dd>
              <dt>E-mail</dt>
              <dd>{employee.email ?? '—'}</dd>
              <dt>Department</dt>
              <dd>{employee.department ?? '—'}</dd>
              <dt>Created</dt>
              <dd>{formatDate(employee.createdAt)}</dd>
            </dl>
          )}
          {canWrite ? (
            <div class="danger-zone">
              <h3>Access</h3>
              <div class="actions-row">
                {employee.status === 'active' ? (
                  <button
                    type="button"
                    class="btn btn--ghost"
                    disabled={busy}
                    onClick={() => void act('suspend')}
                  >
                    Suspend
                  </button>
                ) : (
                  <button
                    type="button"
                    class="btn btn--ghost"
                    disabled={busy}
                    onClick={() => void act('reactivate')}
                  >
                    Reactivate
                  </button>
                )}
                {employee.faceLoginLocked && can(me.role, 'employees.unlock') ? (
                  <button
                    type="button"
                    class="btn btn--ghost"
                    disabled={busy}
                    onClick={() => void act('unlock')}
                  >
                    Unlock face login
                  </button>
                ) : null}
                {can(me.role, 'employees.delete') ? (
                  <button
                    type="button"
                    class="btn btn--danger"
                    disabled={busy}
                    onClick={() => setConfirm('delete')}
                  >
                    Delete employee…
                  </button>
                ) : null}
              </div>
            </div>
          ) : null}
        </div>
        <div class="card card--photos">
          <h2>Face photos</h2>
          {canPhotos ? (
            <>
              <FaceGallery
                employeeId={employee.id}
                faces={faces}
                canDelete={canWrite}
                onDeleted={() => {
                  setMessage('Photo deleted: kiosks no longer recognise that face.');
                  void reload();
                }}
                onError={setError}
              />
              {canWrite ? <Enroll employeeId={employee.id} onEnrolled={() => void reload()} /> : null}
            </>
          ) : (
            <p class="muted" data-testid="photos-hidden">
              Photos and face templates are not shown to your role.
              {employee.templateCount ? ` ${employee.templateCount} face template(s) enrolled.` : ''}
            </p>
          )}
        </div>
      </div>
      <FactorsPanel
        subject={{ type: 'employee', id: employee.id }}
        whose={`${employee.firstName}'s`}
        canEnrol={can(me.role, 'employees.unlock')}
        canReset={can(me.role, 'employees.unlock')}
        allowPin
      />
      {confirm === 'delete' ? (
        <ConfirmDialog
          title={`Delete ${name}?`}
          confirmLabel="Delete permanently"
          danger
          busy={busy}
          onCancel={() => setConfirm(null)}
          onConfirm={async () => {
            setBusy(true);
            try {
              await deleteEmployee(employee.id);
              setConfirm(null);
              navigate('/admin/employees');
            } catch (e) {
              setError(errorMessage(e));
              setConfirm(null);
            } finally {
              setBusy(false);
            }
          }}
        >
          <p>This erases, permanently and at once:</p>
          <ul>
            <li>
              the employee record of <strong>{name}</strong> (badge <strong>{employee.badge}</strong>);
            </li>
            <li>
              every face template (biometric data){faces ? ` — ${faces.length} template(s)` : ''} and every
              kept enrollment photo;
            </li>
            <li>their entry in the live matching gallery: kiosks stop recognising them immediately.</li>
          </ul>
          <p>
            The audit log keeps a record that the deletion happened (no photo, no template). This cannot be
            undone.
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}

function EmployeeForm({
  initial,
  submitLabel,
  onSubmit,
}: {
  initial?: EmployeeDto;
  submitLabel: string;
  onSubmit: (input: EmployeeInput) => Promise<void>;
}) {
  const [badge, setBadge] = useState(initial?.badge ?? '');
  const [firstName, setFirstName] = useState(initial?.firstName ?? '');
  const [lastName, setLastName] = useState(initial?.lastName ?? '');
  const [email, setEmail] = useState(initial?.email ?? '');
  const [department, setDepartment] = useState(initial?.department ?? '');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      class="form"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        try {
          await onSubmit({
            badge: badge.trim(),
            firstName: firstName.trim(),
            lastName: lastName.trim(),
            email: email.trim() || null,
            department: department.trim() || null,
          });
        } catch (err) {
          setError(errorMessage(err));
        } finally {
          setBusy(false);
        }
      }}
    >
      {error ? <Notice kind="error">{error}</Notice> : null}
      <div class="form-row">
        <Field
          label="First name"
          name="firstName"
          required
          value={firstName}
          onInput={(e) => setFirstName(e.currentTarget.value)}
        />
        <Field
          label="Last name"
          name="lastName"
          required
          value={lastName}
          onInput={(e) => setLastName(e.currentTarget.value)}
        />
      </div>
      <div class="form-row">
        <Field
          label="Badge number"
          name="badge"
          required
          value={badge}
          onInput={(e) => setBadge(e.currentTarget.value)}
        />
        <Field
          label="Department"
          name="department"
          value={department}
          onInput={(e) => setDepartment(e.currentTarget.value)}
        />
      </div>
      <Field
        label="E-mail"
        name="email"
        type="email"
        value={email}
        onInput={(e) => setEmail(e.currentTarget.value)}
      />
      <div>
        <button type="submit" class="btn btn--primary" disabled={busy}>
          {busy ? 'Saving…' : submitLabel}
        </button>
      </div>
    </form>
  );
}

function FaceGallery({
  employeeId,
  faces,
  canDelete,
  onDeleted,
  onError,
}: {
  employeeId: string;
  faces: FaceDto[] | null;
  canDelete: boolean;
  onDeleted: () => void;
  onError: (message: string) => void;
}) {
  const [confirm, setConfirm] = useState<{ face: FaceDto; n: number } | null>(null);
  const [busy, setBusy] = useState(false);
  if (!faces) return <p aria-busy="true">Loading photos…</p>;
  if (faces.length === 0)
    return <p class="muted">No face enrolled yet. Add two or three clear photos below.</p>;
  const remove = async (face: FaceDto): Promise<void> => {
    setBusy(true);
    try {
      await deleteFace(employeeId, face.id);
      setConfirm(null);
      onDeleted();
    } catch (e) {
      setConfirm(null);
      onError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <ul class="face-grid" data-testid="face-grid">
        {faces.map((f, i) => (
          <li key={f.id} class="face-grid__item">
            {f.photoId ? (
              <img src={photoUrl(employeeId, f.photoId)} alt={`Enrolled face ${i + 1}`} loading="lazy" />
            ) : (
              <span class="face-grid__nophoto">Template only (photo not kept)</span>
            )}
            <small class="muted">{formatDate(f.createdAt)}</small>
            {canDelete ? (
              <button
                type="button"
                class="btn btn--ghost btn--small"
                aria-label={`Delete photo ${i + 1}`}
                onClick={() => setConfirm({ face: f, n: i + 1 })}
              >
                Delete
              </button>
            ) : null}
          </li>
        ))}
      </ul>
      {confirm ? (
        <ConfirmDialog
          title={`Delete photo ${confirm.n}?`}
          confirmLabel="Delete photo"
          danger
          busy={busy}
          onCancel={() => setConfirm(null)}
          onConfirm={() => void remove(confirm.face)}
        >
          <p>
            This removes the face template, the kept photo and its entry in the live matching gallery: kiosks
            stop recognising this face at once. The audit log records the deletion.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}

interface UploadRow {
  name: string;
  status: 'pending' | 'accepted' | 'rejected' | 'error';
  detail: string;
  /** Codes and figures, shown in small print. */
  codes?: string;
  /** The photo, kept when the enroller may confirm a `FACE_MISMATCH` refusal. */
  mismatch?: NamedPhoto;
}

// Long by design: one page of JSX markup over small handlers; the logic lives in the imported helpers.
function Enroll({ employeeId, onEnrolled }: { employeeId: string; onEnrolled: () => void }) {
  const [rows, setRows] = useState<UploadRow[]>([]);
  const [dragging, setDragging] = useState(false);
  const [camera, setCamera] = useState(false);

  const send = async (photos: NamedPhoto[], confirmMismatch = false): Promise<void> => {
    const names = photos.map((p) => p.name);
    setRows((r) => [
      ...names.map((name) => ({ name, status: 'pending' as const, detail: 'Checking…' })),
      ...r.filter((x) => !(confirmMismatch && names.includes(x.name) && x.mismatch)),
    ]);
    try {
      const results = await uploadFaces(employeeId, photos, { confirmMismatch });
      setRows((r) => {
        const next = [...r];
        photos.forEach((photo, i) => {
          const row = describe(photo, results[i]);
          const idx = next.findIndex((x) => x.name === photo.name && x.status === 'pending');
          if (idx >= 0) next[idx] = row;
        });
        return next;
      });
      if (results.some((r) => r.accepted)) onEnrolled();
    } catch (e) {
      setRows((r) =>
        r.map((x) => (x.status === 'pending' ? { ...x, status: 'error', detail: errorMessage(e) } : x)),
      );
    }
  };
  const files = (list: Iterable<File>): NamedPhoto[] => [...list].map((f) => ({ name: f.name, blob: f }));

  return (
    <div class="enroll">
      <h3>Add photos</h3>
      <label
        class={`dropzone ${dragging ? 'dropzone--active' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          const dropped = [...(e.dataTransfer?.files ?? [])].filter((f) => f.type.startsWith('image/'));
          if (dropped.length) void send(files(dropped));
        }}
      >
        <input
          type="file"
          multiple
          accept="image/jpeg,image/png,image/webp"
          class="visually-hidden"
          aria-label="Choose face photos to enroll"
          data-testid="enroll-input"
          onChange={(e) => {
            const chosen = files(e.currentTarget.files ?? []);
            e.currentTarget.value = '';
            if (chosen.length) void send(chosen);
          }}
        />
        <span>
          <strong>Drop photos here</strong> or <span class="link-like">choose files</span>
        </span>
        <small class="muted">One person per photo, face clearly visible, JPEG or PNG.</small>
      </label>
      <div class="actions-row">
        <button type="button" class="btn btn--ghost" onClick={() => setCamera((c) => !c)}>
          {camera ? 'Close camera' : 'Use the webcam'}
        </button>
      </div>
      {camera ? <WebcamCapture onPhoto={(photo) => void send([photo])} /> : null}
      {rows.length ? (
        <ul class="upload-results" aria-live="polite" data-testid="upload-results">
          {rows.map((row, i) => (
            <li key={`${row.name}-${i}`} class={`upload-result upload-result--${row.status}`}>
              <span class="upload-result__name">{row.name}</span>
              <span class="upload-result__status">
                {row.status === 'accepted' ? 'Accepted' : row.status === 'pending' ? 'Checking…' : 'Rejected'}
              </span>
              <span class="upload-result__detail">
                {row.detail}
                {row.codes ? <small class="upload-result__codes">{row.codes}</small> : null}
              </span>
              {row.mismatch ? (
                <span class="upload-result__confirm">
                  <button
                    type="button"
                    class="btn btn--ghost btn--small"
                    onClick={() => row.mismatch && void send([row.mismatch], true)}
                  >
                    It is the same person: add anyway
                  </button>
                </span>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function describe(photo: NamedPhoto, res: PhotoResultDto | undefined): UploadRow {
  const { name } = photo;
  if (!res) return { name, status: 'error', detail: 'No answer for this photo.' };
  const codes = res.reasons
    .map((r) => (r.value !== undefined ? `${r.code} (${r.value} / ${r.threshold ?? '—'})` : r.code))
    .join(' · ');
  if (res.accepted) {
    const confirmed = res.reasons.some((r) => r.code === 'FACE_MISMATCH');
    return {
      name,
      status: 'accepted',
      detail: res.alreadyEnrolled
        ? 'Already enrolled (same photo).'
        : confirmed
          ? 'Face enrolled after your confirmation (recorded in the audit log).'
          : 'Face enrolled.',
      codes: codes || undefined,
    };
  }
  const detail = res.reasons.map((r) => plainText(r.code, r.message)).join(' ') || 'Rejected.';
  const mismatch = res.reasons.length === 1 && res.reasons[0]?.code === 'FACE_MISMATCH';
  return { name, status: 'rejected', detail, codes, mismatch: mismatch ? photo : undefined };
}

function WebcamCapture({ onPhoto }: { onPhoto: (photo: NamedPhoto) => void }) {
  const video = useRef<HTMLVideoElement>(null);
  const stream = useRef<MediaStream | null>(null);
  const [ready, setReady] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const count = useRef(0);
  useEffect(() => {
    const abort = new AbortController();
    void (async () => {
      try {
        stream.current = await openCamera();
        if (abort.signal.aborted || !video.current) return;
        video.current.srcObject = stream.current;
        await video.current.play().catch(() => undefined);
        await whenPlaying(video.current, abort.signal);
        setReady(true);
      } catch (e) {
        if (!abort.signal.aborted)
          setError(e instanceof CameraError ? e.message : 'The camera could not start.');
      }
    })();
    return () => {
      abort.abort();
      stopCamera(stream.current);
    };
  }, []);
  return (
    <div class="webcam">
      {error ? <Notice kind="warn">{error}</Notice> : null}
      <video ref={video} class="webcam__video" muted playsInline aria-label="Webcam preview" />
      <button
        type="button"
        class="btn btn--primary"
        disabled={!ready}
        onClick={async () => {
          if (!video.current) return;
          const frame = await captureFrame(video.current);
          count.current += 1;
          onPhoto({ name: `webcam-${count.current}.jpg`, blob: frame.blob });
        }}
      >
        Take photo
      </button>
    </div>
  );
}
