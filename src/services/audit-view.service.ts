import type { AuditService } from '../auth/audit.service.js';
import type { Actor } from '../domain/access.js';
import type { AuditEvent, AuditQuery } from '../domain/models.js';
import type { Store } from '../store/store.port.js';

/** Who or what an audit record is about, as people read it. */
export interface AuditParty {
  id: string;
  /** Username, key name with its `fg_…` prefix, employee name, or the raw id when the record is gone. */
  label: string;
  /** Employee badge (employees only). */
  badge?: string;
  /** False when the user, key or employee no longer exists. */
  exists: boolean;
}

/** An audit record with its actor and employee named. */
export interface AuditView {
  event: AuditEvent;
  actor: AuditParty | null;
  employee: AuditParty | null;
}

/** The audit filter with names: `actorName` and `employeeName` are resolved to ids here. */
export type NamedAuditQuery = AuditQuery & { actorName?: string; employeeName?: string };

/** One page of the audit viewer. */
export interface AuditViewPage {
  items: AuditView[];
  nextCursor: string | null;
  /** Every action present in the log, for the action filter. */
  actions: string[];
}

/**
 * The audit log as the admin console shows it: actors and employees by name and badge instead of raw ids, and
 * filters by name. The log itself stores ids only (names change; erased employees leave no name behind).
 */
export class AuditViewService {
  constructor(
    private readonly store: Store,
    private readonly audit: Pick<AuditService, 'query'>,
  ) {}

  /** One page with names; a name filter that matches nobody yields an empty page. */
  async query(actor: Actor, query: NamedAuditQuery): Promise<AuditViewPage> {
    const { actorName, employeeName, ...filter } = query;
    const actorId = actorName ? await this.actorIdOf(actorName) : filter.actorId;
    const employeeId = employeeName ? await this.employeeIdOf(employeeName) : filter.employeeId;
    const page =
      actorId === null || employeeId === null
        ? { items: [], nextCursor: null }
        : await this.audit.query(actor, { ...filter, actorId, employeeId });
    const names = new Map<string, Promise<AuditParty>>();
    const party = (key: string, load: () => Promise<AuditParty>): Promise<AuditParty> => {
      const known = names.get(key) ?? load();
      names.set(key, known);
      return known;
    };
    const items = await Promise.all(
      page.items.map(async (event) => ({
        event,
        actor: event.actorId
          ? await party(`${event.actorType}:${event.actorId}`, () => this.actorParty(event))
          : null,
        employee: event.employeeId
          ? await party(`employee:${event.employeeId}`, () => this.employeeParty(event))
          : null,
      })),
    );
    return { items, nextCursor: page.nextCursor, actions: await this.store.audit.actions() };
  }

  private async actorParty(event: AuditEvent): Promise<AuditParty> {
    const id = event.actorId ?? '';
    if (event.actorType === 'user') {
      const user = await this.store.users.get(id);
      return { id, label: user?.username ?? `user ${id.slice(0, 8)}`, exists: user !== undefined };
    }
    if (event.actorType === 'api_key') {
      const key = await this.store.apiKeys.get(id);
      return key
        ? { id, label: `${key.name} (fg_${key.prefix}_…)`, exists: true }
        : { id, label: `API key ${id.slice(0, 8)}`, exists: false };
    }
    return { id, label: `${event.actorType}: ${id}`, exists: true };
  }

  private async employeeParty(event: AuditEvent): Promise<AuditParty> {
    const id = event.employeeId ?? '';
    const employee = await this.store.employees.get(id);
    if (employee) {
      return { id, label: `${employee.firstName} ${employee.lastName}`, badge: employee.badge, exists: true };
    }
    const badge = typeof event.details?.badge === 'string' ? event.details.badge : undefined;
    return {
      id,
      label: badge ? `deleted employee ${badge}` : `deleted employee ${id.slice(0, 8)}`,
      badge,
      exists: false,
    };
  }

  /** A username, a key name, a key prefix (`fg_…` or bare) or an id; null when nothing matches. */
  private async actorIdOf(name: string): Promise<string | null> {
    const wanted = name.trim().toLowerCase();
    const user = await this.store.users.getByUsername(name.trim());
    if (user) return user.id;
    const prefix = /^(?:fg_)?([0-9a-f]{12})/.exec(wanted)?.[1];
    const keys = await this.store.apiKeys.list();
    const key = keys.find((k) => k.name.toLowerCase() === wanted || k.prefix === prefix || k.id === wanted);
    if (key) return key.id;
    const users = await this.store.users.list();
    return users.find((u) => u.id === wanted || u.username.toLowerCase() === wanted)?.id ?? null;
  }

  /** A badge, a name or part of one, or an id; null when no employee matches. */
  private async employeeIdOf(name: string): Promise<string | null> {
    const text = name.trim();
    const byBadge = await this.store.employees.getByBadge(text);
    if (byBadge) return byBadge.id;
    const byId = /^[0-9a-f-]{36}$/i.test(text) ? await this.store.employees.get(text) : undefined;
    if (byId) return byId.id;
    const found = await this.store.employees.list({ search: text, limit: 1, offset: 0 });
    return found.items[0]?.id ?? null;
  }
}
