import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';

const SERIOUS = new Set(['moderate', 'serious', 'critical']);

/**
 * Runs axe-core (WCAG 2.x A/AA rules and best practices) on the page as it is; returns one line per violation of
 * moderate impact or worse, with the first few offending elements, so a failing test says what to fix.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'])
    .analyze();
  return results.violations
    .filter((v) => SERIOUS.has(v.impact ?? ''))
    .map(
      (v) =>
        `${page.url()} [${v.impact}] ${v.id}: ${v.help} — ${v.nodes
          .slice(0, 3)
          .map((n) => n.target.join(' '))
          .join(' | ')}`,
    );
}
