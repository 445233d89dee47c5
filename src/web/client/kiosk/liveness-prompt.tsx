import type { Ref } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { KioskEvent, KioskState } from './kiosk.machine.js';
import { type PromptGlyph, promptGlyph, promptText, secondsLeft } from './liveness-schedule.js';

/** The kiosk preview is mirrored (kiosk.css), so the person's left is the screen's left. */
export const PREVIEW_MIRRORED = true;

type Prompting = Extract<KioskState, { name: 'prompting' }>;

/** The action of the current step (`null` for the frontal step). */
function currentAction(state: Prompting) {
  return state.step === 0 ? null : (state.challenge.actions[state.step - 1] ?? null);
}

/** The big glyph over the preview: an arrow, an eye, or "come closer". Decorative: the text says the same. */
export function PromptOverlay({ state }: { state: Prompting }) {
  const glyph = promptGlyph(currentAction(state), PREVIEW_MIRRORED);
  // The frontal step has no glyph: it would cover the face the person is asked to show; the oval is the cue.
  if (glyph === 'face') return null;
  return (
    <div class={`prompt-glyph prompt-glyph--${glyph}`} data-glyph={glyph} aria-hidden="true">
      <GlyphSvg glyph={glyph} />
    </div>
  );
}

const GLYPH_PATHS: Record<PromptGlyph, string> = {
  'arrow-left': 'M20 12H5M11 5l-7 7 7 7',
  'arrow-right': 'M4 12h15M13 5l7 7-7 7',
  'arrow-up': 'M12 20V5M5 11l7-7 7 7',
  eye: 'M2 12s3.6-6.5 10-6.5S22 12 22 12s-3.6 6.5-10 6.5S2 12 2 12zM12 9a3 3 0 1 0 0 6 3 3 0 0 0 0-6z',
  closer: 'M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5M9 12h6M12 9v6',
  face: 'M12 3a7 8.5 0 1 0 0 17 7 8.5 0 1 0 0-17zM9.2 10v.5M14.8 10v.5M9.5 15c1.5 1.2 3.5 1.2 5 0',
};

function GlyphSvg({ glyph }: { glyph: PromptGlyph }) {
  return (
    <svg viewBox="0 0 24 24" class="prompt-glyph__svg" aria-hidden="true">
      <path d={GLYPH_PATHS[glyph]} />
    </svg>
  );
}

/** Seconds left before the challenge expires, refreshed every quarter second. */
function useSecondsLeft(deadline: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = window.setInterval(() => setNow(Date.now()), 250);
    return () => window.clearInterval(id);
  }, []);
  return secondsLeft(deadline, now);
}

/**
 * The panel while a challenge runs: the prompt (announced through an assertive live region), the progress and
 * the time left. The countdown is not in the live region: a screen reader would read every second.
 */
export function PromptPanel({
  state,
  dispatch,
  primary,
}: {
  state: Prompting;
  dispatch: (event: KioskEvent) => void;
  primary: Ref<HTMLButtonElement>;
}) {
  const total = state.challenge.actions.length;
  const seconds = useSecondsLeft(state.deadline);
  const text = promptText(currentAction(state));
  return (
    <section class="panel panel--prompt">
      <h1 class="visually-hidden">Sign in with your face</h1>
      <p class="prompt__progress" data-testid="kiosk-progress">
        {state.step === 0 ? 'Get ready' : `Step ${state.step} of ${total}`}
      </p>
      <p class="prompt__text" role="status" aria-live="assertive" data-testid="kiosk-status">
        {text}
      </p>
      <ol class="prompt__dots" aria-hidden="true">
        {state.challenge.actions.map((action, i) => (
          <li
            key={`${i}-${action}`}
            class={`prompt__dot ${i + 1 < state.step ? 'prompt__dot--done' : ''} ${i + 1 === state.step ? 'prompt__dot--now' : ''}`}
          />
        ))}
      </ol>
      <p class="prompt__time" data-testid="kiosk-countdown">
        {seconds} s left
      </p>
      <div class="actions">
        <button
          ref={primary}
          type="button"
          class="btn btn--ghost"
          onClick={() => dispatch({ type: 'CANCEL' })}
        >
          Cancel
        </button>
      </div>
    </section>
  );
}
