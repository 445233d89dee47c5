/**
 * The self-service enrolment page (`/enrol/<token>`), mobile first: consent → liveness challenge (the kiosk's own
 * capture code) → 3–5 photos with preview and retake → submit → the outcome, on the same link.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { LIVENESS_HINT_MESSAGES } from '../kiosk/kiosk-hints.js';
import { captureChallenge } from '../kiosk/kiosk-liveness.js';
import { promptText } from '../kiosk/liveness-schedule.js';
import { ApiError } from '../shared/api.js';
import { CameraError, captureFrame, openCamera, stopCamera, whenPlaying } from '../shared/camera.js';
import type { ChallengeDto } from '../shared/liveness-types.js';
import { type CaptureResult, type EnrolmentPage, enrolApi, tokenOfLocation } from './enrol-api.js';
import { CLOSED_MESSAGES, type Step, stepOf } from './enrol-steps.js';

/** Captures a submission holds. */
const MIN_PHOTOS = 3;
const MAX_PHOTOS = 5;

function messageOf(error: unknown): string {
  if (error instanceof ApiError) {
    if (CLOSED_MESSAGES[error.code]) return CLOSED_MESSAGES[error.code] ?? error.message;
    if (error.code === 'RATE_LIMITED' || error.code === 'OVERLOADED')
      return 'The system is busy. Try again in a moment.';
    return error.message;
  }
  if (error instanceof CameraError) return error.message;
  return 'Something went wrong. Please try again.';
}

/** The whole page. */
export function EnrolApp() {
  const token = tokenOfLocation(window.location.pathname);
  const [step, setStep] = useState<Step>({ name: 'loading' });
  const reload = async () => {
    if (!token) return setStep({ name: 'closed', message: CLOSED_MESSAGES.NOT_FOUND ?? '' });
    try {
      setStep(stepOf(await enrolApi.open(token)));
    } catch (error) {
      setStep({ name: 'closed', message: messageOf(error) });
    }
  };
  useEffect(() => {
    void reload();
  }, []);
  return (
    <main class="enrol" data-testid="enrol-page" data-step={step.name}>
      <header class="enrol__head">
        <span class="enrol__brand">facegate</span>
      </header>
      {step.name === 'loading' && <p role="status">Loading…</p>}
      {step.name === 'closed' && <Closed message={step.message} />}
      {step.name === 'unavailable' && <Unavailable page={step.page} />}
      {step.name === 'consent' && token && (
        <Consent
          token={token}
          page={step.page}
          onDone={() => setStep({ name: 'liveness', page: step.page })}
        />
      )}
      {(step.name === 'liveness' || step.name === 'photos') && token && (
        <CameraSteps token={token} page={step.page} onSubmitted={() => void reload()} />
      )}
      {step.name === 'status' && <Status page={step.page} />}
    </main>
  );
}

function Closed({ message }: { message: string }) {
  return (
    <section class="enrol__card">
      <h1>Enrolment link</h1>
      <p data-testid="enrol-closed">{message}</p>
    </section>
  );
}

function Unavailable({ page }: { page: EnrolmentPage }) {
  return (
    <section class="enrol__card">
      <h1>Hello {page.firstName}</h1>
      <p data-testid="enrol-unavailable">{CLOSED_MESSAGES.NOT_SUPPORTED}</p>
    </section>
  );
}

function Consent({ token, page, onDone }: { token: string; page: EnrolmentPage; onDone: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const accept = async () => {
    setBusy(true);
    setError(null);
    try {
      await enrolApi.consent(token, page.consent.version);
      onDone();
    } catch (e) {
      setError(messageOf(e));
      setBusy(false);
    }
  };
  return (
    <section class="enrol__card">
      <h1>Hello {page.firstName}</h1>
      <p>
        You have been invited to enrol your face, so that you can open doors and sign in at company kiosks.
      </p>
      <h2>Before you start</h2>
      <div class="enrol__consent" data-testid="enrol-consent">
        {page.consent.text.split('\n').map((line, i) => (
          <p key={`${i}-${line.slice(0, 8)}`}>{line}</p>
        ))}
      </div>
      <p class="enrol__small">Consent version {page.consent.version}. Your answer is recorded.</p>
      {error && (
        <p class="enrol__error" role="alert">
          {error}
        </p>
      )}
      <button type="button" class="btn btn--primary" disabled={busy} onClick={() => void accept()}>
        I agree, continue
      </button>
    </section>
  );
}

/** Live camera steps: the challenge first, then the photos (the same camera stream throughout). */
function CameraSteps({
  token,
  page,
  onSubmitted,
}: {
  token: string;
  page: EnrolmentPage;
  onSubmitted: () => void;
}) {
  const video = useRef<HTMLVideoElement>(null);
  const [stream, setStream] = useState<MediaStream | null>(null);
  const [cameraError, setCameraError] = useState<string | null>(null);
  const [passed, setPassed] = useState(page.livenessPassed);
  useEffect(() => {
    const abort = new AbortController();
    let opened: MediaStream | null = null;
    openCamera()
      .then(async (s) => {
        opened = s;
        if (abort.signal.aborted) return stopCamera(s);
        setStream(s);
        if (video.current) {
          video.current.srcObject = s;
          await whenPlaying(video.current, abort.signal);
        }
      })
      .catch((e: unknown) => {
        if (!abort.signal.aborted) setCameraError(messageOf(e));
      });
    return () => {
      abort.abort();
      stopCamera(opened);
    };
  }, []);
  return (
    <section class="enrol__card">
      <h1>{passed ? 'Take your photos' : 'Show that you are here'}</h1>
      <div class="enrol__preview">
        <video ref={video} class="enrol__video" autoplay muted playsinline data-testid="enrol-video" />
      </div>
      {cameraError && (
        <p class="enrol__error" role="alert">
          {cameraError}
        </p>
      )}
      {stream && !passed && <Challenge token={token} video={video} onPass={() => setPassed(true)} />}
      {stream && passed && <Photos token={token} video={video} page={page} onSubmitted={onSubmitted} />}
    </section>
  );
}

type Running = { challenge: ChallengeDto; step: number } | null;

function Challenge({
  token,
  video,
  onPass,
}: {
  token: string;
  video: { current: HTMLVideoElement | null };
  onPass: () => void;
}) {
  const [running, setRunning] = useState<Running>(null);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const start = async () => {
    const element = video.current;
    if (!element) return;
    setBusy(true);
    setNote(null);
    const abort = new AbortController();
    try {
      const challenge = await enrolApi.challenge(token);
      setRunning({ challenge, step: 0 });
      const frames = await captureChallenge(
        element,
        challenge,
        (step) => setRunning({ challenge, step }),
        abort.signal,
      );
      setRunning(null);
      setNote('Checking…');
      const result = await enrolApi.answer(token, challenge, frames);
      if (result.outcome === 'pass') return onPass();
      const hint = result.hint ? LIVENESS_HINT_MESSAGES[result.hint] : undefined;
      setNote(hint ?? 'That did not work. Follow the prompts and try again.');
    } catch (error) {
      setRunning(null);
      setNote(messageOf(error));
    } finally {
      setBusy(false);
    }
  };
  const action = running && running.step > 0 ? (running.challenge.actions[running.step - 1] ?? null) : null;
  return (
    <div class="enrol__steps">
      {running ? (
        <p class="enrol__prompt" role="status" aria-live="assertive" data-testid="enrol-prompt">
          {promptText(action)}
        </p>
      ) : (
        <>
          <p>Keep your face in the frame and follow the prompts: turn your head, blink or come closer.</p>
          {note && (
            <p class="enrol__note" role="status" data-testid="enrol-liveness-note">
              {note}
            </p>
          )}
          <button type="button" class="btn btn--primary" disabled={busy} onClick={() => void start()}>
            {note ? 'Try again' : 'Start'}
          </button>
        </>
      )}
    </div>
  );
}

interface Shot {
  blob: Blob;
  url: string;
  result: CaptureResult | null;
}

function Photos({
  token,
  video,
  page,
  onSubmitted,
}: {
  token: string;
  video: { current: HTMLVideoElement | null };
  page: EnrolmentPage;
  onSubmitted: () => void;
}) {
  const [shots, setShots] = useState<Shot[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(
    () => () => {
      for (const s of shots) URL.revokeObjectURL(s.url);
    },
    [],
  );
  const take = async () => {
    const element = video.current;
    if (!element || shots.length >= MAX_PHOTOS) return;
    const frame = await captureFrame(element, 0.92, 1280);
    if (frame.brightness < 0.12) {
      setError('Too dark: more light, please (face a window or a lamp).');
      return;
    }
    setError(null);
    setShots([...shots, { blob: frame.blob, url: URL.createObjectURL(frame.blob), result: null }]);
  };
  const retake = (index: number) => {
    const shot = shots[index];
    if (shot) URL.revokeObjectURL(shot.url);
    setShots(shots.filter((_, i) => i !== index));
  };
  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      const result = await enrolApi.submit(
        token,
        shots.map((s) => s.blob),
      );
      if (result.outcome === 'submitted') return onSubmitted();
      setShots(shots.map((s, i) => ({ ...s, result: result.photos[i] ?? null })));
      setError('Some photos need to be taken again: see the hints below.');
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="enrol__steps">
      <p>
        {page.firstName}, take {MIN_PHOTOS} to {MAX_PHOTOS} photos looking straight at the camera, in good
        light.
      </p>
      <button
        type="button"
        class="btn btn--primary"
        data-testid="enrol-take"
        disabled={busy || shots.length >= MAX_PHOTOS}
        onClick={() => void take()}
      >
        Take photo {Math.min(shots.length + 1, MAX_PHOTOS)} of {MAX_PHOTOS}
      </button>
      {error && (
        <p class="enrol__error" role="alert">
          {error}
        </p>
      )}
      <ul class="enrol__shots" aria-label="Your photos">
        {shots.map((shot, i) => (
          <li
            key={shot.url}
            class={`enrol__shot ${shot.result && !shot.result.accepted ? 'enrol__shot--bad' : ''}`}
          >
            <img src={shot.url} alt={`Capture ${i + 1}`} />
            {shot.result?.reasons.map((r) => (
              <p key={r.code} class="enrol__hint">
                {r.hint}
              </p>
            ))}
            <button type="button" class="btn btn--ghost" onClick={() => retake(i)}>
              Retake
            </button>
          </li>
        ))}
      </ul>
      <button
        type="button"
        class="btn btn--primary"
        data-testid="enrol-submit"
        disabled={busy || shots.length < MIN_PHOTOS}
        onClick={() => void submit()}
      >
        {busy ? 'Sending…' : 'Submit my photos'}
      </button>
    </div>
  );
}

const STATUS_TEXT: Record<string, { title: string; text: string }> = {
  pending: {
    title: 'Thank you',
    text: 'Your photos were sent. An enroller will review them soon; check this link.',
  },
  held: {
    title: 'Thank you',
    text: 'Your photos were sent. An enroller will review them soon; check this link.',
  },
  approved: { title: 'You are enrolled', text: 'You can now use your face at the company kiosks.' },
  rejected: { title: 'Not accepted', text: 'Your photos were not accepted and have been erased.' },
};

function Status({ page }: { page: EnrolmentPage }) {
  const status = page.submission?.status ?? 'pending';
  const text = STATUS_TEXT[status] ?? STATUS_TEXT.pending;
  return (
    <section class="enrol__card" data-testid="enrol-status" data-status={status}>
      <h1>{text?.title}</h1>
      <p>{text?.text}</p>
      {status === 'rejected' && page.submission?.reason && (
        <p>
          Reason: <q>{page.submission.reason}</q>. Ask your administrator for a new link.
        </p>
      )}
    </section>
  );
}
