import type { Ref } from 'preact';
import { useCallback, useEffect, useReducer, useRef, useState } from 'preact/hooks';
import { ApiError, api, asIs, bearer, ok } from '../shared/api.js';
import type { KioskConfigDto } from '../shared/api-types.js';
import { CameraError, captureFrame, openCamera, stopCamera, whenPlaying } from '../shared/camera.js';
import {
  type ChallengeDto,
  type KioskConfigWithLiveness,
  type LivenessMode,
  livenessModeOf,
  unsupportedProviderOf,
} from '../shared/liveness-types.js';
import { FactorPanel, useFactorStep } from './factor-panel.js';
import {
  type AuthenticateResult,
  DEFAULT_TIMINGS,
  initialKioskState,
  type KioskEvent,
  type KioskState,
  kioskNeedsCamera,
  kioskTimer,
  kioskTransition,
} from './kiosk.machine.js';
import type { FactorAnswer } from './kiosk-factor-api.js';
import { HINT_MESSAGES } from './kiosk-hints.js';
import { kioskConfig, loadKey, storeKey } from './kiosk-key.js';
import {
  answerChallenge,
  captureChallenge,
  fetchChallenge,
  NO_FACTOR_MESSAGE,
  type TimedFrame,
} from './kiosk-liveness.js';
import { HOLD_MS, KioskSetup, SetupUnlock } from './kiosk-setup.js';
import { PromptOverlay, PromptPanel } from './liveness-prompt.js';

/** Frames darker than this (mean luminance of the centre) are not sent. */
const MIN_BRIGHTNESS = 0.08;

/** The pass in a welcome photo's link (`/v1/welcome-photo/{token}`), if the answer carries one. */
function welcomePhotoToken(photoUrl: string | undefined): string | undefined {
  const token = photoUrl ? /^\/v1\/welcome-photo\/([^/?#]+)$/.exec(photoUrl)?.[1] : undefined;
  return token ? decodeURIComponent(token) : undefined;
}

/** Sends one image to `POST /v1/authenticate` with the kiosk key; maps errors to machine events. */
async function authenticate(image: Blob, key: string, signal: AbortSignal): Promise<KioskEvent> {
  try {
    const result: AuthenticateResult = await ok(
      api.POST('/v1/authenticate', {
        body: image,
        bodySerializer: asIs(),
        headers: { ...bearer(key), 'content-type': image.type || 'image/jpeg' },
        signal,
      }),
    );
    return { type: 'RESULT', result };
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.code === 'LOCKED_OUT') return { type: 'LOCKED', seconds: error.retryAfterSeconds ?? null };
    if (error.status === 401 || error.code === 'FORBIDDEN') return { type: 'KEY_REJECTED' };
    if (error.code === 'SECOND_FACTOR_NOT_ENROLLED') return { type: 'FAILED', message: NO_FACTOR_MESSAGE };
    if (error.code in HINT_MESSAGES)
      return { type: 'RESULT', result: { decision: 'retry', hint: error.code } };
    if (error.code === 'EMPLOYEE_SUSPENDED') return { type: 'RESULT', result: { decision: 'no_match' } };
    if (error.code === 'RATE_LIMITED' || error.code === 'OVERLOADED') {
      return { type: 'FAILED', message: 'The system is busy. Please try again in a moment.' };
    }
    return { type: 'FAILED', message: 'Something went wrong. Please try again.' };
  }
}

/** The kiosk page: set-up, live camera with auto-capture, upload fallback and result screens. */
// Long by design: one page of JSX markup over small handlers; the logic lives in the imported helpers.
export function KioskApp() {
  const [key, setKey] = useState<string | null>(loadKey);
  const [pairCode] = useState(() => new URLSearchParams(location.search).get('pair'));
  // Set-up opens for a pairing link, else only after the hold gesture and the PIN (never from a visible link).
  const [editingKey, setEditingKey] = useState(pairCode !== null);
  const [unlocking, setUnlocking] = useState(false);
  const [config, setConfig] = useState<KioskConfigWithLiveness | null>(null);
  const mode = livenessModeOf(config);
  // The reducer of the latest render runs each event, so a config that arrives later is taken into account.
  const unsupported = unsupportedProviderOf(config);
  const [state, dispatch] = useReducer<KioskState, KioskEvent>(
    (s, e) => kioskTransition(s, e, DEFAULT_TIMINGS, unsupported),
    initialKioskState(key !== null),
  );
  const videoRef = useRef<HTMLVideoElement>(null);
  const streamRef = useRef<MediaStream | null>(null);
  const imageRef = useRef<Blob | null>(null);
  const answerRef = useRef<{ challenge: ChallengeDto; frames: TimedFrame[] } | null>(null);
  const factorRef = useRef<FactorAnswer | null>(null);
  const [photoUrl, setPhotoUrl] = useState<string | null>(null);

  // The timer of the current state (auto-capture, result screens, lockout).
  useEffect(() => {
    const timer = kioskTimer(state, DEFAULT_TIMINGS, mode, Date.now());
    if (!timer) return;
    const id = window.setTimeout(() => dispatch(timer.event), timer.ms);
    return () => window.clearTimeout(id);
  }, [state, mode]);

  // Camera on while an attempt runs; off otherwise (nothing is filmed between people).
  const cameraWanted = kioskNeedsCamera(state);
  useEffect(() => {
    if (!cameraWanted) {
      stopCamera(streamRef.current);
      streamRef.current = null;
      return;
    }
    if (streamRef.current) return;
    const abort = new AbortController();
    void (async () => {
      try {
        const stream = await openCamera();
        if (abort.signal.aborted) {
          stopCamera(stream);
          return;
        }
        streamRef.current = stream;
        const video = videoRef.current;
        if (!video) throw new CameraError('no-camera', 'No video element');
        video.srcObject = stream;
        await video.play().catch(() => undefined);
        await whenPlaying(video, abort.signal);
        dispatch({ type: 'CAMERA_READY' });
      } catch (error) {
        if (abort.signal.aborted) return;
        dispatch({
          type: 'CAMERA_UNAVAILABLE',
          reason: error instanceof CameraError ? error.problem : 'no-camera',
        });
      }
    })();
    return () => abort.abort();
  }, [cameraWanted]);
  useEffect(() => () => stopCamera(streamRef.current), []);

  // capturing: grab a frame, reject obviously dark frames locally, then hand the image to `checking`.
  useEffect(() => {
    if (state.name !== 'capturing') return;
    let cancelled = false;
    const video = videoRef.current;
    if (!video) return;
    captureFrame(video)
      .then((frame) => {
        if (cancelled) return;
        if (frame.brightness < MIN_BRIGHTNESS) {
          dispatch({
            type: 'FRAME_REJECTED',
            hint: { code: 'TOO_DARK', message: HINT_MESSAGES.TOO_DARK ?? 'Too dark' },
          });
          return;
        }
        imageRef.current = frame.blob;
        dispatch({ type: 'IMAGE_READY', source: 'camera' });
      })
      .catch(() => {
        if (!cancelled) dispatch({ type: 'FAILED', message: 'The camera stopped. Please try again.' });
      });
    return () => {
      cancelled = true;
    };
  }, [state]);

  useChallenge(state, key, videoRef, answerRef, dispatch);
  useFactorStep(state, key, factorRef, dispatch);

  // checking: one API call per image; a cancel aborts it.
  useEffect(() => {
    if (state.name !== 'checking' || state.source === 'challenge' || !key || !imageRef.current) return;
    const abort = new AbortController();
    const image = imageRef.current;
    imageRef.current = null;
    authenticate(image, key, abort.signal)
      .then((event) => {
        if (!abort.signal.aborted) dispatch(event);
      })
      .catch(() => {
        if (!abort.signal.aborted)
          dispatch({ type: 'FAILED', message: 'Something went wrong. Please try again.' });
      });
    return () => abort.abort();
  }, [state, key]);

  // welcome: the employee's photo, only when the server offers one (a settings choice).
  useEffect(() => {
    const token = welcomePhotoToken(state.name === 'welcome' ? state.employee.photoUrl : undefined);
    if (!token || !key) return;
    const abort = new AbortController();
    let url: string | null = null;
    const params = { path: { token } };
    ok(
      api.GET('/v1/welcome-photo/{token}', {
        params,
        headers: bearer(key),
        parseAs: 'blob',
        signal: abort.signal,
      }),
    )
      .then((blob) => {
        if (blob && !abort.signal.aborted) {
          url = URL.createObjectURL(blob);
          setPhotoUrl(url);
        }
      })
      .catch(() => undefined);
    return () => {
      abort.abort();
      if (url) URL.revokeObjectURL(url);
      setPhotoUrl(null);
    };
  }, [state, key]);

  // Escape cancels any attempt, from anywhere on the page.
  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      if (event.key === 'Escape') dispatch({ type: 'CANCEL' });
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  // The kiosk's own settings (photo fallback, set-up PIN); a key the server refuses sends the kiosk to set-up.
  useEffect(() => {
    if (!key) return;
    const abort = new AbortController();
    kioskConfig(key, abort.signal)
      .then(setConfig)
      .catch((error) => {
        if (error instanceof ApiError && (error.status === 401 || error.status === 403))
          dispatch({ type: 'KEY_REJECTED' });
      });
    return () => abort.abort();
  }, [key]);

  // Ctrl+Alt+S: the keyboard form of the hold gesture.
  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      if (event.ctrlKey && event.altKey && event.key.toLowerCase() === 's' && key) setUnlocking(true);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [key]);

  const saveKey = useCallback((value: string, settings: KioskConfigDto) => {
    storeKey(value);
    setKey(value);
    setConfig(settings);
    setEditingKey(false);
    if (location.search) history.replaceState(null, '', '/');
    dispatch({ type: 'KEY_SAVED' });
  }, []);

  const onPhoto = useCallback((file: File) => {
    imageRef.current = file;
    dispatch({ type: 'IMAGE_READY', source: 'upload' });
  }, []);

  if (state.name === 'setup' || editingKey) {
    return (
      <KioskSetup
        notice={state.name === 'setup' ? state.notice : null}
        hasKey={key !== null && state.name !== 'setup'}
        pairCode={pairCode}
        onSaved={saveKey}
        onCancel={() => {
          setEditingKey(false);
          if (location.search) history.replaceState(null, '', '/');
        }}
      />
    );
  }

  const showVideo = cameraWanted;
  return (
    <div class={`kiosk kiosk--${state.name}`}>
      <header class="kiosk__bar">
        <HoldTarget onHold={() => setUnlocking(true)} />
        <Clock />
      </header>
      <main class="kiosk__main">
        <div class={`stage ${showVideo ? '' : 'stage--hidden'}`} aria-hidden={showVideo ? undefined : 'true'}>
          <video ref={videoRef} class="stage__video" muted playsInline autoPlay aria-label="Camera preview" />
          <svg class="stage__guide" viewBox="0 0 100 100" preserveAspectRatio="none" aria-hidden="true">
            <ellipse cx="50" cy="47" rx="17" ry="31" />
          </svg>
          {state.name === 'prompting' ? <PromptOverlay state={state} /> : null}
        </div>
        <KioskPanel
          state={state}
          dispatch={dispatch}
          onPhoto={onPhoto}
          photoUrl={photoUrl}
          allowUpload={config?.allowPhotoUpload === true && mode === 'off'}
          mode={mode}
          factorRef={factorRef}
        />
      </main>
      <footer class="kiosk__foot">
        <span>Your face is checked against enrolled employees only. No picture is kept at this kiosk.</span>
      </footer>
      {unlocking && key ? (
        <SetupUnlock
          kioskKey={key}
          pinSet={config?.setupPinSet === true}
          onClose={() => setUnlocking(false)}
          onUnlocked={() => {
            setUnlocking(false);
            setEditingKey(true);
          }}
        />
      ) : null}
    </div>
  );
}

/**
 * The challenge states' side effects: fetch a challenge, capture its frames while the prompts play, post them.
 * Each runs once per state (a cancel or a new state aborts it).
 */
function useChallenge(
  state: KioskState,
  key: string | null,
  videoRef: { current: HTMLVideoElement | null },
  answerRef: { current: { challenge: ChallengeDto; frames: TimedFrame[] } | null },
  dispatch: (event: KioskEvent) => void,
): void {
  const fetching = state.name === 'challenge' ? state : null;
  useEffect(() => {
    if (!fetching || !key) return;
    const abort = new AbortController();
    fetchChallenge(key, fetching.exclude, abort.signal)
      .then((event) => dispatch(event))
      .catch(() => undefined);
    return () => abort.abort();
  }, [fetching, key, dispatch]);

  const challenge = state.name === 'prompting' ? state.challenge : null;
  useEffect(() => {
    const video = videoRef.current;
    if (!challenge || !video) return;
    const abort = new AbortController();
    captureChallenge(video, challenge, (step) => dispatch({ type: 'PROMPT_STEP', step }), abort.signal)
      .then((frames) => {
        answerRef.current = { challenge, frames };
        dispatch({ type: 'FRAMES_READY' });
      })
      .catch(() => {
        if (!abort.signal.aborted)
          dispatch({ type: 'FAILED', message: 'The camera stopped. Please try again.' });
      });
    return () => abort.abort();
  }, [challenge, videoRef, answerRef, dispatch]);

  const answering = state.name === 'checking' && state.source === 'challenge' ? state : null;
  useEffect(() => {
    const answer = answerRef.current;
    if (!answering || !key || !answer) return;
    answerRef.current = null;
    const abort = new AbortController();
    answerChallenge(key, answer.challenge, answer.frames, abort.signal)
      .then((event) => dispatch(event))
      .catch(() => {
        if (!abort.signal.aborted)
          dispatch({ type: 'FAILED', message: 'Something went wrong. Please try again.' });
      });
    return () => abort.abort();
  }, [answering, key, answerRef, dispatch]);
}

/** The logo: holding it (pointer) for {@link HOLD_MS} asks for the set-up PIN. */
function HoldTarget({ onHold }: { onHold: () => void }) {
  const timer = useRef<number | null>(null);
  const stop = (): void => {
    if (timer.current !== null) window.clearTimeout(timer.current);
    timer.current = null;
  };
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: a staff gesture, not a control; Ctrl+Alt+S is its keyboard form
    <span
      class="brand"
      data-testid="kiosk-logo"
      onPointerDown={() => {
        stop();
        timer.current = window.setTimeout(onHold, HOLD_MS);
      }}
      onPointerUp={stop}
      onPointerLeave={stop}
      onPointerCancel={stop}
      onContextMenu={(e) => e.preventDefault()}
    >
      <span class="brand__mark" aria-hidden="true" />
      facegate
    </span>
  );
}

type StateOf<N extends KioskState['name']> = Extract<KioskState, { name: N }>;

interface PanelProps {
  state: KioskState;
  dispatch: (event: KioskEvent) => void;
  onPhoto: (file: File) => void;
  photoUrl: string | null;
  /** "Use a photo instead": a per-kiosk setting, off unless an admin turned it on for this kiosk's key. */
  allowUpload: boolean;
  /** `challenge`: the camera runs a liveness challenge instead of sending one photo. */
  mode: LivenessMode;
  /** The second factor the person entered, until it is sent. */
  factorRef: { current: FactorAnswer | null };
}

/** What a panel gets: its state, the dispatcher, and the ref of the button that takes the focus. */
interface StepProps<N extends KioskState['name']> {
  state: StateOf<N>;
  dispatch: (event: KioskEvent) => void;
  primary: Ref<HTMLButtonElement>;
  allowUpload: boolean;
  mode: LivenessMode;
}

/** The panel beside the camera: one small component per state; the main button takes the focus on each change. */
function KioskPanel({ state, dispatch, onPhoto, photoUrl, allowUpload, mode, factorRef }: PanelProps) {
  const primary = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    primary.current?.focus();
  }, [state.name]);

  const common = { dispatch, primary, allowUpload, mode };
  switch (state.name) {
    case 'idle':
      return <IdlePanel state={state} {...common} />;
    case 'camera':
    case 'capturing':
    case 'retry':
    case 'challenge':
    case 'checking':
      return <CameraPanel state={state} {...common} />;
    case 'prompting':
      return <PromptPanel state={state} dispatch={dispatch} primary={primary} />;
    case 'upload':
      return <UploadPanel state={state} onPhoto={onPhoto} {...common} />;
    case 'factor':
    case 'factorChecking':
      return <FactorPanel state={state} dispatch={dispatch} primary={primary} answerRef={factorRef} />;
    case 'welcome':
      return <WelcomePanel state={state} photoUrl={photoUrl} {...common} />;
    case 'refused':
      return <RefusedPanel state={state} {...common} />;
    case 'locked':
      return <LockedPanel state={state} />;
    case 'error':
      return <ErrorPanel state={state} {...common} />;
    case 'unsupported':
      return <UnsupportedPanel state={state} {...common} />;
    case 'setup':
      return null;
  }
}

function IdlePanel({ dispatch, primary, allowUpload }: StepProps<'idle'>) {
  return (
    <section class="panel panel--idle" aria-live="polite">
      <h1 class="headline">Sign in with your face</h1>
      <p class="lead">Stand in front of the camera and press Start.</p>
      <div class="actions">
        <button
          ref={primary}
          type="button"
          class="btn btn--primary btn--huge"
          onClick={() => dispatch({ type: 'START' })}
        >
          Start
        </button>
        {allowUpload ? (
          <button type="button" class="btn btn--ghost" onClick={() => dispatch({ type: 'USE_UPLOAD' })}>
            Use a photo instead
          </button>
        ) : null}
      </div>
    </section>
  );
}

function CameraPanel({
  state,
  dispatch,
  primary,
  allowUpload,
  mode,
}: StepProps<'camera' | 'capturing' | 'retry' | 'challenge' | 'checking'>) {
  const hint = state.name === 'retry' ? state.hint.message : null;
  const status =
    state.name === 'checking'
      ? 'Checking…'
      : state.name === 'camera' && !state.ready
        ? 'Starting the camera…'
        : state.name === 'challenge'
          ? 'Get ready to follow the prompts'
          : (hint ?? 'Look at the camera and keep your face in the oval');
  const challenge = mode === 'challenge';
  return (
    <section class="panel panel--camera">
      <h1 class="visually-hidden">Sign in with your face</h1>
      <p
        class={`hint ${hint ? 'hint--warn' : ''}`}
        role="status"
        aria-live="assertive"
        data-testid="kiosk-status"
      >
        {status}
      </p>
      <div class="actions">
        <button
          ref={primary}
          type="button"
          class="btn btn--primary"
          disabled={
            state.name === 'checking' ||
            state.name === 'capturing' ||
            state.name === 'challenge' ||
            (state.name === 'camera' && !state.ready)
          }
          onClick={() => dispatch(challenge ? { type: 'BEGIN_CHALLENGE' } : { type: 'CAPTURE' })}
        >
          {challenge ? 'Start now' : 'Take photo now'}
        </button>
        {allowUpload ? (
          <button type="button" class="btn btn--ghost" onClick={() => dispatch({ type: 'USE_UPLOAD' })}>
            Use a photo instead
          </button>
        ) : null}
        <button type="button" class="btn btn--ghost" onClick={() => dispatch({ type: 'CANCEL' })}>
          Cancel
        </button>
      </div>
    </section>
  );
}

const UPLOAD_TITLES: Record<StateOf<'upload'>['reason'], string> = {
  denied: 'The camera is not allowed',
  'no-camera': 'No camera found',
  chosen: 'Sign in with a photo',
};

function UploadPanel({
  state,
  dispatch,
  primary,
  onPhoto,
  allowUpload,
}: StepProps<'upload'> & { onPhoto: (file: File) => void }) {
  if (!allowUpload) return <NoCameraPanel state={state} dispatch={dispatch} primary={primary} />;
  return (
    <section class="panel panel--upload">
      <h1 class="headline headline--small">{UPLOAD_TITLES[state.reason]}</h1>
      {state.hint ? (
        <p class="hint hint--warn" role="status" data-testid="kiosk-status">
          {state.hint.message}
        </p>
      ) : (
        <p class="lead" role="status" data-testid="kiosk-status">
          Take a clear photo of your face, alone, looking at the camera.
        </p>
      )}
      <div class="actions">
        <label class="btn btn--primary file-button">
          <input
            type="file"
            accept="image/jpeg,image/png,image/webp"
            capture="user"
            class="visually-hidden"
            aria-label="Choose a photo of your face"
            onChange={(event) => {
              const file = event.currentTarget.files?.[0];
              event.currentTarget.value = '';
              if (file) onPhoto(file);
            }}
          />
          Choose a photo
        </label>
        <button
          ref={primary}
          type="button"
          class="btn btn--ghost"
          onClick={() => dispatch({ type: 'START' })}
        >
          Try the camera
        </button>
        <button type="button" class="btn btn--ghost" onClick={() => dispatch({ type: 'CANCEL' })}>
          Cancel
        </button>
      </div>
    </section>
  );
}

/** Without a camera, a kiosk that does not offer the photo fallback can only say so. */
function NoCameraPanel({ state, dispatch, primary }: Omit<StepProps<'upload'>, 'allowUpload' | 'mode'>) {
  return (
    <section class="panel panel--upload">
      <h1 class="headline headline--small">{UPLOAD_TITLES[state.reason]}</h1>
      <p class="lead" role="status" data-testid="kiosk-status">
        This kiosk needs its camera to sign you in. Please ask at reception.
      </p>
      <div class="actions">
        <button
          ref={primary}
          type="button"
          class="btn btn--primary"
          onClick={() => dispatch({ type: 'START' })}
        >
          Try the camera
        </button>
        <button type="button" class="btn btn--ghost" onClick={() => dispatch({ type: 'CANCEL' })}>
          Cancel
        </button>
      </div>
    </section>
  );
}

function WelcomePanel({
  state,
  dispatch,
  primary,
  photoUrl,
}: StepProps<'welcome'> & { photoUrl: string | null }) {
  return (
    <section class="result result--welcome" role="status" aria-live="assertive" data-testid="kiosk-result">
      {photoUrl ? <img class="result__photo" src={photoUrl} alt="" /> : <ResultIcon kind="ok" />}
      <h1 class="result__title">
        <span class="result__kicker">Welcome,</span>{' '}
        <span class="result__name">
          {state.employee.firstName} {state.employee.lastName}
        </span>
      </h1>
      <p class="lead">You are signed in.</p>
      <button
        ref={primary}
        type="button"
        class="btn btn--ghost"
        onClick={() => dispatch({ type: 'TIMEOUT' })}
      >
        Done
      </button>
    </section>
  );
}

const REFUSALS: Record<StateOf<'refused'>['reason'], [string, string]> = {
  no_match: ['Not recognised', 'Sorry, we could not sign you in. Please try again or ask at reception.'],
  gave_up: ['Please try again', 'We could not get a clear view of your face.'],
  factor: ['Not signed in', 'The second step was not accepted. Please start again or ask at reception.'],
};

function RefusedPanel({ state, dispatch, primary }: StepProps<'refused'>) {
  const [title, lead] = REFUSALS[state.reason];
  return (
    <section class="result result--refused" role="status" aria-live="assertive" data-testid="kiosk-result">
      <ResultIcon kind="no" />
      <h1 class="result__title">{title}</h1>
      <p class="lead">{lead}</p>
      <button
        ref={primary}
        type="button"
        class="btn btn--primary"
        onClick={() => dispatch({ type: 'START' })}
      >
        Try again
      </button>
    </section>
  );
}

function LockedPanel({ state }: { state: StateOf<'locked'> }) {
  return (
    <section class="result result--locked" role="alert" data-testid="kiosk-result">
      <ResultIcon kind="pause" />
      <h1 class="result__title">Too many attempts</h1>
      <p class="lead">
        Face sign-in is paused{state.seconds ? ` for about ${formatWait(state.seconds)}` : ''}. If this keeps
        happening, please contact an administrator.
      </p>
    </section>
  );
}

/** An alert result: a title, one sentence, and OK back to the idle screen. */
function AlertResult(props: {
  title: string;
  message: string;
  dispatch: (event: KioskEvent) => void;
  primary: Ref<HTMLButtonElement>;
}) {
  return (
    <section class="result result--error" role="alert" data-testid="kiosk-result">
      <ResultIcon kind="alert" />
      <h1 class="result__title">{props.title}</h1>
      <p class="lead">{props.message}</p>
      <button
        ref={props.primary}
        type="button"
        class="btn btn--primary"
        onClick={() => props.dispatch({ type: 'TIMEOUT' })}
      >
        OK
      </button>
    </section>
  );
}

function ErrorPanel({ state, dispatch, primary }: StepProps<'error'>) {
  return (
    <AlertResult title="Please try again" message={state.message} dispatch={dispatch} primary={primary} />
  );
}

/** Why this kiosk cannot sign anyone in, per provider, in words a person at the door may read. */
const UNSUPPORTED_TEXT: Record<StateOf<'unsupported'>['provider'], string> = {
  rekognition:
    'The server checks liveness with Amazon Rekognition Face Liveness, which this kiosk cannot run. Please ask ' +
    "at reception; an administrator must use a kiosk app with that provider's client.",
  none:
    'The server has no liveness check, and this kiosk is set to require one. Please ask at reception; an ' +
    'administrator must set up a liveness provider or change this kiosk’s liveness setting.',
};

function UnsupportedPanel({ state, dispatch, primary }: StepProps<'unsupported'>) {
  return (
    <AlertResult
      title="This kiosk cannot sign you in"
      message={UNSUPPORTED_TEXT[state.provider]}
      dispatch={dispatch}
      primary={primary}
    />
  );
}

const ICON_PATHS: Record<'ok' | 'no' | 'pause' | 'alert', string> = {
  ok: 'M6 12.5l4 4 8-9',
  no: 'M7 7l10 10M17 7L7 17',
  pause: 'M9.5 7v10M14.5 7v10',
  alert: 'M12 6.5v7M12 17.2v.3',
};

/** A large round result icon drawn as SVG (no font glyph needed). */
function ResultIcon({ kind }: { kind: keyof typeof ICON_PATHS }) {
  return (
    <svg class="result__icon" viewBox="0 0 24 24" aria-hidden="true">
      <path d={ICON_PATHS[kind]} />
    </svg>
  );
}

function formatWait(seconds: number): string {
  if (seconds < 90) return `${Math.ceil(seconds)} seconds`;
  return `${Math.ceil(seconds / 60)} minutes`;
}

function Clock() {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const id = window.setInterval(() => setNow(new Date()), 15_000);
    return () => window.clearInterval(id);
  }, []);
  return (
    <time class="clock" dateTime={now.toISOString()}>
      {now.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}
    </time>
  );
}
