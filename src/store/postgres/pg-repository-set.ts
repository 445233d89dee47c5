import type { DataCipher } from '../../crypto/data-cipher.js';
import { PgApiKeyRepository, PgSessionRepository, PgUserRepository } from './pg-account.repositories.js';
import { PgAuditRepository } from './pg-audit.repository.js';
import { PgEmployeeRepository } from './pg-employee.repository.js';
import { PgEnrolmentSubmissionRepository } from './pg-enrolment-submission.repository.js';
import { PgInvitationRepository } from './pg-invitation.repository.js';
import { PgKioskPairingRepository } from './pg-kiosk-pairing.repository.js';
import type { PgRunner } from './pg-runner.js';
import { PgSecondFactorRepository } from './pg-second-factor.repository.js';
import { PgLockoutRepository, PgSettingsRepository } from './pg-state.repositories.js';
import { PgTemplateRepository } from './pg-template.repository.js';

/** The repositories over one runner (the root store's pool, or a transaction's client). */
export class PgRepositories {
  readonly employees: PgEmployeeRepository;
  readonly templates: PgTemplateRepository;
  readonly audit: PgAuditRepository;
  readonly users: PgUserRepository;
  readonly apiKeys: PgApiKeyRepository;
  readonly kioskPairings: PgKioskPairingRepository;
  readonly sessions: PgSessionRepository;
  readonly lockouts: PgLockoutRepository;
  readonly settings: PgSettingsRepository;
  readonly secondFactors: PgSecondFactorRepository;
  readonly invitations: PgInvitationRepository;
  readonly enrolmentSubmissions: PgEnrolmentSubmissionRepository;

  constructor(runner: PgRunner, cipher: DataCipher) {
    this.employees = new PgEmployeeRepository(runner);
    this.templates = new PgTemplateRepository(runner, cipher);
    this.audit = new PgAuditRepository(runner);
    this.users = new PgUserRepository(runner, cipher);
    this.apiKeys = new PgApiKeyRepository(runner);
    this.kioskPairings = new PgKioskPairingRepository(runner);
    this.sessions = new PgSessionRepository(runner);
    this.lockouts = new PgLockoutRepository(runner);
    this.settings = new PgSettingsRepository(runner);
    this.secondFactors = new PgSecondFactorRepository(runner, cipher);
    this.invitations = new PgInvitationRepository(runner);
    this.enrolmentSubmissions = new PgEnrolmentSubmissionRepository(runner);
  }
}
