import type { DataCipher } from '../../../crypto/data-cipher.js';
import type { SqlRunner } from '../sql-runner.js';
import { SqliteApiKeyRepository } from './api-key.repository.js';
import { SqliteAuditRepository } from './audit.repository.js';
import { SqliteEmployeeRepository } from './employee.repository.js';
import { SqliteEnrolmentSubmissionRepository } from './enrolment-submission.repository.js';
import { SqliteInvitationRepository } from './invitation.repository.js';
import { SqliteKioskPairingRepository } from './kiosk-pairing.repository.js';
import { SqliteLockoutRepository } from './lockout.repository.js';
import { SqliteSecondFactorRepository } from './second-factor.repository.js';
import { SqliteSessionRepository } from './session.repository.js';
import { SqliteSettingsRepository } from './settings.repository.js';
import { SqliteTemplateRepository } from './template.repository.js';
import { SqliteUserRepository } from './user.repository.js';

/** The repositories over one runner (the root store's, or a transaction's view of it). */
export class SqliteRepositories {
  readonly employees: SqliteEmployeeRepository;
  readonly templates: SqliteTemplateRepository;
  readonly audit: SqliteAuditRepository;
  readonly users: SqliteUserRepository;
  readonly apiKeys: SqliteApiKeyRepository;
  readonly kioskPairings: SqliteKioskPairingRepository;
  readonly sessions: SqliteSessionRepository;
  readonly lockouts: SqliteLockoutRepository;
  readonly settings: SqliteSettingsRepository;
  readonly secondFactors: SqliteSecondFactorRepository;
  readonly invitations: SqliteInvitationRepository;
  readonly enrolmentSubmissions: SqliteEnrolmentSubmissionRepository;

  constructor(runner: SqlRunner, cipher: DataCipher) {
    this.employees = new SqliteEmployeeRepository(runner);
    this.templates = new SqliteTemplateRepository(runner, cipher);
    this.audit = new SqliteAuditRepository(runner);
    this.users = new SqliteUserRepository(runner, cipher);
    this.apiKeys = new SqliteApiKeyRepository(runner);
    this.kioskPairings = new SqliteKioskPairingRepository(runner);
    this.sessions = new SqliteSessionRepository(runner);
    this.lockouts = new SqliteLockoutRepository(runner);
    this.settings = new SqliteSettingsRepository(runner);
    this.secondFactors = new SqliteSecondFactorRepository(runner, cipher);
    this.invitations = new SqliteInvitationRepository(runner);
    this.enrolmentSubmissions = new SqliteEnrolmentSubmissionRepository(runner);
  }
}
