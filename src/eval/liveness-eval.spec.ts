import { describe, expect, it } from 'vitest';
import { buildLivenessReport, type PresentationResult } from './liveness-eval.js';

const base: Pick<PresentationResult, 'actions' | 'failed'> = { actions: [], failed: [] };

describe('buildLivenessReport', () => {
  it('counts stills and spoof clips as attacks and matching live clips as bona fide', () => {
    const presentations: PresentationResult[] = [
      { ...base, file: 'a.mp4', label: 'live', kind: 'clip', matching: true, outcome: 'pass', planar: 0.3 },
      {
        ...base,
        file: 'b.mp4',
        label: 'live',
        kind: 'clip',
        matching: true,
        outcome: 'retry',
        failed: ['actions:x'],
      },
      {
        ...base,
        file: 'c.mp4',
        label: 'live',
        kind: 'clip',
        matching: false,
        excluded: 'no head turn',
        outcome: 'refused',
      },
      { ...base, file: 'd.mp4', label: 'spoof', kind: 'clip', outcome: 'pass', planar: 0.05 },
      { ...base, file: 'e.jpg', label: 'live', kind: 'still-single', outcome: 'refused', passive: 0.9 },
      {
        ...base,
        file: 'f.jpg',
        label: 'spoof',
        kind: 'still-warped',
        outcome: 'refused',
        passive: 0.2,
        planar: 0.04,
      },
      { ...base, file: 'g.jpg', label: 'live', kind: 'still-warped', outcome: 'retry', planar: 0.06 },
    ];
    const report = buildLivenessReport(presentations, 0.12);
    expect(report.bonafide).toBe(2);
    expect(report.bpcer).toBe(0.5);
    expect(report.attacks).toBe(4);
    expect(report.apcer).toBe(0.25);
    expect(report.checks.actions).toEqual({ attackFailed: 0, bonafideFailed: 1 });
    expect(report.excludedLiveClips).toEqual([{ file: 'c.mp4', reason: 'no head turn' }]);
    expect(report.planar.stillWarps).toEqual([0.04, 0.06]);
    expect(report.passive.fr_liveness?.auc).toBe(1);
  });
});
