import type { ComponentChildren, InputHTMLAttributes, SelectHTMLAttributes } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorMessage } from '../shared/api.js';
import { DETAIL_SEPARATOR } from '../shared/error-text.js';

let fieldSeq = 0;

/** A stable id for a label/control pair. */
export function useFieldId(prefix: string): string {
  const id = useRef<string>('');
  if (!id.current) id.current = `${prefix}-${++fieldSeq}`;
  return id.current;
}

type InputProps = InputHTMLAttributes<HTMLInputElement> & {
  label: string;
  hint?: string;
  error?: string | null;
};

/** A labelled input with optional hint and error. */
export function Field({ label, hint, error, ...input }: InputProps) {
  const id = useFieldId(String(input.name ?? 'field'));
  const describedBy =
    [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} aria-describedby={describedBy} aria-invalid={error ? 'true' : undefined} {...input} />
      {hint ? (
        <small id={`${id}-hint`} class="field__hint">
          {hint}
        </small>
      ) : null}
      {error ? (
        <small id={`${id}-error`} class="field-error">
          {error}
        </small>
      ) : null}
    </div>
  );
}

type SelectProps = SelectHTMLAttributes<HTMLSelectElement> & {
  label: string;
  options: ReadonlyArray<{ value: string; label: string }>;
};

/** A labelled select. */
export function SelectField({ label, options, ...select }: SelectProps) {
  const id = useFieldId(String(select.name ?? 'select'));
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} {...select}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** An error / success banner. */
export function Notice({ kind, children }: { kind: 'error' | 'ok' | 'warn'; children: ComponentChildren }) {
  // An `errorMessage` string: the plain sentence first, its code and request id in small print.
  const [text, detail] = typeof children === 'string' ? splitDetail(children) : [children, ''];
  return (
    <div class={`notice notice--${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {text}
      {detail ? <small class="notice__detail">{detail}</small> : null}
    </div>
  );
}

function splitDetail(message: string): [string, string] {
  const at = message.indexOf(DETAIL_SEPARATOR);
  return at < 0 ? [message, ''] : [message.slice(0, at), message.slice(at + DETAIL_SEPARATOR.length)];
}

/** Page heading with optional actions on the right. */
export function PageHeader({ title, children }: { title: string; children?: ComponentChildren }) {
  useEffect(() => {
    document.title = `${title} · facegate admin`;
  }, [title]);
  return (
    <div class="page-header">
      <h1>{title}</h1>
      {children ? <div class="page-header__actions">{children}</div> : null}
    </div>
  );
}

/** A modal confirmation built on `<dialog>` (focus trapped by the browser, Escape cancels). */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  danger,
  busy,
  onConfirm,
  onCancel,
}: {
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    // Focus goes back to the control that opened the dialog when it closes (keyboard and screen-reader users).
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (dialog && !dialog.open) dialog.showModal();
    return () => {
      dialog?.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      class="dialog"
      aria-labelledby="confirm-title"
      onCancel={(event) => {
        event.preventDefault();
        onCancel();
      }}
    >
      <h2 id="confirm-title">{title}</h2>
      <div class="dialog__body">{children}</div>
      <div class="dialog__actions">
        <button type="button" class="btn btn--ghost" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
        <button
          type="button"
          class={`btn ${danger ? 'btn--danger' : 'btn--primary'}`}
          onClick={onConfirm}
          disabled={busy}
        >
          {confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

/** A form action's state: busy while it runs, then an error or a success message. */
export interface Action {
  busy: boolean;
  error: string | null;
  message: string | null;
  setError(error: string | null): void;
  /**
   * Runs `fn` (clearing the previous error and message); on success shows `ok` when given, on failure the
   * error as `describe` words it. Resolves to whether `fn` succeeded.
   */
  run(fn: () => Promise<void>, ok?: string, describe?: (error: unknown) => string): Promise<boolean>;
}

/** Busy flag, error and success message around the async actions of a page or form. */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const run = useCallback<Action['run']>(async (fn, ok, describe = errorMessage) => {
    setBusy(true);
    setError(null);
    setMessage(null);
    try {
      await fn();
      if (ok) setMessage(ok);
      return true;
    } catch (e) {
      setError(describe(e));
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, message, setError, run };
}

/** The error and success banners of an {@link Action}. */
export function ActionNotices({ action }: { action: Pick<Action, 'error' | 'message'> }) {
  return (
    <>
      {action.error ? <Notice kind="error">{action.error}</Notice> : null}
      {action.message ? <Notice kind="ok">{action.message}</Notice> : null}
    </>
  );
}

/** Data loaded once on mount and again on `reload()`; a failure goes to `onError`. */
export function useLoaded<T>(
  load: () => Promise<T>,
  onError: (message: string) => void,
): [T | null, () => void] {
  const [data, setData] = useState<T | null>(null);
  const reload = useCallback(() => {
    load()
      .then(setData)
      .catch((e) => onError(errorMessage(e)));
  }, []);
  useEffect(reload, []);
  return [data, reload];
}

/** A one-line create form in a card: its fields, then the submit button; the page's default submit is prevented. */
export function InlineForm({
  submitLabel,
  onSubmit,
  children,
}: {
  submitLabel: string;
  onSubmit: () => void;
  children: ComponentChildren;
}) {
  return (
    <form
      class="card form-inline"
      onSubmit={(event) => {
        event.preventDefault();
        onSubmit();
      }}
    >
      {children}
      <button type="submit" class="btn btn--primary">
        {submitLabel}
      </button>
    </form>
  );
}

/** A column of a {@link DataTable}: `optional` columns hide on narrow screens, `hidden` labels only screen readers. */
export interface Column {
  label: string;
  optional?: boolean;
  hidden?: boolean;
  class?: string;
}

/** A scrollable table with a header row and, when `empty` is set, a one-cell row saying there is nothing. */
export function DataTable({
  testId,
  columns,
  dense,
  empty,
  children,
}: {
  testId: string;
  columns: ReadonlyArray<Column | null>;
  dense?: boolean;
  empty?: string | null;
  children: ComponentChildren;
}) {
  const shown = columns.filter((c): c is Column => c !== null);
  const table = useRef<HTMLTableElement>(null);
  // On narrow screens each row becomes a card: every cell carries its column's name for the CSS to show.
  useEffect(() => {
    for (const row of table.current?.tBodies[0]?.rows ?? []) {
      [...row.cells].forEach((cell, i) => {
        const label = shown[i]?.label;
        if (label && cell.colSpan === 1) cell.dataset.label = label;
      });
    }
  });
  return (
    <div class="table-wrap">
      <table ref={table} class={`table table--cards ${dense ? 'table--dense' : ''}`} data-testid={testId}>
        <thead>
          <tr>
            {shown.map((c) => (
              <th
                key={c.label}
                scope="col"
                class={[c.class, c.optional ? 'col-optional' : ''].filter(Boolean).join(' ') || undefined}
              >
                {c.hidden ? <span class="visually-hidden">{c.label}</span> : c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {children}
          {empty ? (
            <tr>
              <td colSpan={shown.length} class="empty">
                {empty}
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
    </div>
  );
}

/** Formats an ISO date for tables. */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
}

/** Saves text as a file download (client-side, no round trip). */
export function downloadText(filename: string, text: string, type = 'text/csv;charset=utf-8'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
