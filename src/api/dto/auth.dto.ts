import type { ApiKey, AuditEvent, User } from '../../domain/models.js';

/** User without password hash or TOTP secret. */
export function toUserDto(u: User) {
  return {
    id: u.id,
    username: u.username,
    role: u.role,
    disabled: u.disabled,
    createdAt: u.createdAt,
    lastLoginAt: u.lastLoginAt,
  };
}

/** API key without its hash. */
export function toApiKeyDto(k: ApiKey) {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    role: k.role,
    createdAt: k.createdAt,
    lastUsedAt: k.lastUsedAt,
    revokedAt: k.revokedAt,
  };
}

/** Audit event as stored (it never holds images or embeddings by construction). */
export function toAuditEventDto(e: AuditEvent) {
  return {
    id: e.id,
    at: e.at,
    action: e.action,
    outcome: e.outcome,
    reason: e.reason,
    actorType: e.actorType,
    actorId: e.actorId,
    employeeId: e.employeeId,
    score: e.score,
    threshold: e.threshold,
    engine: e.engine,
    ip: e.ip,
    durationMs: e.durationMs,
    details: e.details ?? {},
  };
}
