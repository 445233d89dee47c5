import { describe, expect, it } from 'vitest';
import type { EnrolmentPage } from './enrol-api.js';
import { CLOSED_MESSAGES, stepOf } from './enrol-steps.js';

const open: EnrolmentPage = {
  firstName: 'Ana',
  status: 'open',
  expiresAt: '2026-12-07T12:00:00.000Z',
  consent: { version: '1', text: 'What is stored…' },
  consentAccepted: false,
  livenessPassed: false,
  captureAvailable: true,
  submission: null,
};

describe('enrolment page: the first step of a link', () => {
  it('asks consent, then goes to the camera steps, where capture runs', () => {
    expect(stepOf(open).name).toBe('consent');
    expect(stepOf({ ...open, consentAccepted: true }).name).toBe('liveness');
  });

  it('says capture is not available before asking consent or opening the camera, where it cannot run', () => {
    expect(stepOf({ ...open, captureAvailable: false })).toEqual({
      name: 'unavailable',
      page: { ...open, captureAvailable: false },
    });
    expect(stepOf({ ...open, consentAccepted: true, captureAvailable: false }).name).toBe('unavailable');
    expect(CLOSED_MESSAGES.NOT_SUPPORTED).toMatch(/not available/);
  });

  it('still shows the outcome of a link used before', () => {
    const submission = { status: 'approved' as const, reason: null, createdAt: '', decidedAt: '' };
    expect(stepOf({ ...open, status: 'used', captureAvailable: false, submission }).name).toBe('status');
  });
});
