import { describe, expect, it } from 'vitest';
import { isFacegateError } from '../domain/errors.js';
import type { EnrolmentSubmissionRepository, InvitationRepository } from '../store/store.port.js';
import { createMemoryStore } from '../store/testing/memory-store.js';
import { enrolmentRepositories } from './enrolment-common.js';

describe('enrolmentRepositories', () => {
  it('refuses self-service enrolment with NOT_READY on a store without its repositories', () => {
    const store = createMemoryStore();
    expect(store.invitations).toBeUndefined();
    let error: unknown;
    try {
      enrolmentRepositories(store);
    } catch (caught) {
      error = caught;
    }
    expect(isFacegateError(error, 'NOT_READY')).toBe(true);
    expect(isFacegateError(error) && error.details).toEqual({ store: store.kind });
  });

  it('hands out the repositories of a store that has them', () => {
    const invitations = {} as InvitationRepository;
    const enrolmentSubmissions = {} as EnrolmentSubmissionRepository;
    const store = { ...createMemoryStore(), invitations, enrolmentSubmissions };
    expect(enrolmentRepositories(store)).toEqual({ invitations, submissions: enrolmentSubmissions });
    expect(enrolmentRepositories(store).invitations).toBe(invitations);
  });
});
