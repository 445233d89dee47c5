import { describe, expect, it } from 'vitest';
import { ImpostorRateAlarm } from './impostor-alarm.js';

const rule = { rate: 0.5, minSamples: 4, windowSeconds: 60 };

describe('ImpostorRateAlarm', () => {
  it('stays quiet below the minimum sample size, however high the share', () => {
    const alarm = new ImpostorRateAlarm(rule);
    for (let i = 0; i < 3; i++) expect(alarm.record('no_match', i * 1000)).toBeUndefined();
    expect(alarm.snapshot(3000)).toMatchObject({ decisions: 3, noMatches: 3, active: false });
  });

  it('raises once per window while the share stays above the rate', () => {
    const alarm = new ImpostorRateAlarm(rule);
    alarm.record('match', 0);
    alarm.record('no_match', 1000);
    alarm.record('no_match', 2000);
    const raised = alarm.record('no_match', 3000);
    expect(raised).toMatchObject({ decisions: 4, noMatches: 3, ratio: 0.75, active: true, raised: 1 });
    expect(alarm.record('no_match', 4000)).toBeUndefined();
    expect(alarm.record('no_match', 30_000)).toBeUndefined();
    expect(alarm.record('no_match', 62_000)).toBeUndefined(); // window not over since the alarm at 3 s
    expect(alarm.record('no_match', 63_000)).toMatchObject({ raised: 2 });
  });

  it('a share at or below the rate raises nothing, and old decisions slide out', () => {
    const alarm = new ImpostorRateAlarm(rule);
    for (let i = 0; i < 4; i++) alarm.record(i % 2 ? 'match' : 'no_match', i * 1000);
    expect(alarm.snapshot(4000)).toMatchObject({ ratio: 0.5, active: false });
    expect(alarm.snapshot(200_000)).toMatchObject({ decisions: 0, ratio: 0 });
  });
});
