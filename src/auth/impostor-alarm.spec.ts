import { describe, expect, it } from 'vitest';
import { MemorySharedState } from '../shared-state/memory-shared-state.js';
import { ImpostorRateAlarm } from './impostor-alarm.js';

const rule = { rate: 0.5, minSamples: 4, windowSeconds: 60 };

/** An alarm whose shared state runs on the time of the last decision recorded. */
function fakeAlarm() {
  let time = 0;
  const alarm = new ImpostorRateAlarm(rule, new MemorySharedState({ now: () => time }));
  return {
    record: (decision: 'match' | 'no_match', now: number) => {
      time = now;
      return alarm.record(decision, now);
    },
    snapshot: (now: number) => {
      time = now;
      return alarm.snapshot(now);
    },
  };
}

describe('ImpostorRateAlarm', () => {
  it('stays quiet below the minimum sample size, however high the share', async () => {
    const alarm = fakeAlarm();
    for (let i = 0; i < 3; i++) expect(await alarm.record('no_match', i * 1000)).toBeUndefined();
    expect(await alarm.snapshot(3000)).toMatchObject({ decisions: 3, noMatches: 3, active: false });
  });

  it('raises once per window while the share stays above the rate', async () => {
    const alarm = fakeAlarm();
    await alarm.record('match', 0);
    await alarm.record('no_match', 1000);
    await alarm.record('no_match', 2000);
    const raised = await alarm.record('no_match', 3000);
    expect(raised).toMatchObject({ decisions: 4, noMatches: 3, ratio: 0.75, active: true, raised: 1 });
    expect(await alarm.record('no_match', 4000)).toBeUndefined();
    expect(await alarm.record('no_match', 30_000)).toBeUndefined();
    expect(await alarm.record('no_match', 62_000)).toBeUndefined(); // window not over since the alarm at 3 s
    expect(await alarm.record('no_match', 63_000)).toMatchObject({ raised: 2 });
  });

  it('a share at or below the rate raises nothing, and old decisions slide out', async () => {
    const alarm = fakeAlarm();
    for (let i = 0; i < 4; i++) await alarm.record(i % 2 ? 'match' : 'no_match', i * 1000);
    expect(await alarm.snapshot(4000)).toMatchObject({ ratio: 0.5, active: false });
    expect(await alarm.snapshot(200_000)).toMatchObject({ decisions: 0, ratio: 0 });
  });

  it('two nodes on one shared state count in one window and raise one alarm between them', async () => {
    let time = 0;
    const state = new MemorySharedState({ now: () => time });
    const a = new ImpostorRateAlarm(rule, state);
    const b = new ImpostorRateAlarm(rule, state);
    const raised = [];
    for (let i = 0; i < 6; i++) {
      time = i * 1000;
      raised.push(await (i % 2 ? a : b).record('no_match', time));
    }
    expect(raised.filter((r) => r !== undefined)).toHaveLength(1);
    expect(await a.snapshot(time)).toMatchObject({ decisions: 6, noMatches: 6, active: true });
  });

  it('a long window is counted in at most 60 buckets', async () => {
    let time = 0;
    const alarm = new ImpostorRateAlarm(
      { ...rule, windowSeconds: 600 },
      new MemorySharedState({ now: () => time }),
    );
    for (let i = 0; i < 4; i++) {
      time = i * 100_000;
      await alarm.record('no_match', time);
    }
    time = 650_000;
    // 10-s buckets: decisions at 0 s fell out of the 600-s window, those from 100 s on are in it.
    expect(await alarm.snapshot(time)).toMatchObject({ decisions: 3, noMatches: 3 });
  });
});
