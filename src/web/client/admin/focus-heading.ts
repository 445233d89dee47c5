import { useEffect } from 'preact/hooks';

/** How long to wait for a page that loads its data before it shows its heading. */
const WAIT_MS = 3000;

function focusHeading(): boolean {
  const heading = document.querySelector<HTMLElement>('#main h1');
  if (!heading) return false;
  if (!heading.hasAttribute('tabindex')) heading.setAttribute('tabindex', '-1');
  heading.focus({ preventScroll: true });
  return true;
}

/**
 * Moves the focus to the page's `h1` whenever `path` changes (and on first render, i.e. right after login), so
 * screen readers announce the new page instead of staying on `<body>`. Pages that load first get up to a few
 * seconds for their heading to appear.
 */
export function useFocusHeading(path: string): void {
  useEffect(() => {
    if (focusHeading()) return;
    const main = document.getElementById('main');
    if (!main) return;
    const observer = new MutationObserver(() => {
      if (focusHeading()) observer.disconnect();
    });
    observer.observe(main, { childList: true, subtree: true });
    const stop = window.setTimeout(() => observer.disconnect(), WAIT_MS);
    return () => {
      observer.disconnect();
      window.clearTimeout(stop);
    };
  }, [path]);
}
