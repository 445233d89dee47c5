import { Readable } from 'node:stream';
import { type Static, Type } from 'typebox';
import { toAuditEventDto } from '../dto/auth.dto.js';
import { actorOf } from '../request-auth.js';
import {
  AuditExportQuery,
  AuditPage,
  AuditQuerySchema,
  CalibrationDto,
  SettingsDto,
  UpdateSettingsBody,
} from '../schemas/admin.schema.js';
import { errorResponses } from '../schemas/common.schema.js';
import { type RouteDeps, SECURED, type TypedApp } from './route-types.js';

/** The audit filter of a query string (the API's parameter names → the service's). */
function auditFilterOf(q: Omit<Static<typeof AuditExportQuery>, 'format'>) {
  return {
    from: q.from,
    to: q.to,
    employeeId: q.employee,
    actorId: q.actor,
    action: q.action,
    outcome: q.outcome,
  };
}

/** Audit log (query, export), run-time settings and the last calibration. */
// Long by design: a flat list of route declarations, each a few lines; splitting would only scatter the table.
export function adminRoutes(app: TypedApp, { ctx }: RouteDeps): void {
  const { audit, settings, calibration } = ctx.auth;

  app.get(
    '/v1/audit',
    {
      config: { permission: 'audit:read' },
      schema: {
        tags: ['audit'],
        summary: 'Audit events, newest first; filters combine with AND; cursor paging',
        security: SECURED,
        querystring: AuditQuerySchema,
        response: { 200: AuditPage, ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const page = await ctx.auditViews.query(actorOf(request), {
        ...auditFilterOf(q),
        actorName: q.actorName,
        employeeName: q.employeeName,
        limit: q.limit ?? 100,
        cursor: q.cursor,
      });
      return {
        items: page.items.map((v) => ({ ...toAuditEventDto(v.event), actor: v.actor, employee: v.employee })),
        nextCursor: page.nextCursor,
        actions: page.actions,
      };
    },
  );

  app.get(
    '/v1/audit/export',
    {
      config: { permission: 'audit:read' },
      schema: {
        tags: ['audit'],
        summary: 'Export matching audit events as CSV or JSON lines (streamed)',
        security: SECURED,
        querystring: AuditExportQuery,
        response: {
          200: Type.Unknown({ description: 'text/csv or application/x-ndjson' }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const format = q.format ?? 'csv';
      const chunks = audit.export(actorOf(request), auditFilterOf(q), format);
      // Pull the first chunk before answering, so that a refusal still becomes a normal error response.
      const first = await chunks.next();
      const stream = Readable.from(
        (async function* () {
          if (!first.done) yield first.value;
          yield* chunks;
        })(),
      );
      const stamp = new Date().toISOString().slice(0, 10);
      return reply
        .header('cache-control', 'no-store')
        .header('content-disposition', `attachment; filename="facegate-audit-${stamp}.${format}"`)
        .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
        .send(stream);
    },
  );

  app.get(
    '/v1/settings',
    {
      config: { permission: 'settings:read' },
      schema: {
        tags: ['settings'],
        summary: 'Settings in force',
        security: SECURED,
        response: { 200: SettingsDto, ...errorResponses },
      },
    },
    async (request) => settings.get(actorOf(request)),
  );

  app.put(
    '/v1/settings',
    {
      config: { permission: 'settings:write' },
      schema: {
        tags: ['settings'],
        summary: 'Change settings (admins); any subset of fields',
        security: SECURED,
        body: UpdateSettingsBody,
        response: { 200: SettingsDto, ...errorResponses },
      },
    },
    async (request) => settings.patch(actorOf(request), request.body),
  );

  app.get(
    '/v1/calibration',
    {
      config: { permission: 'calibration:read' },
      schema: {
        tags: ['settings'],
        summary:
          'Last calibration saved by `facegate eval --save-calibration` (thresholds, FAR/FRR, ROC SVG)',
        security: SECURED,
        response: { 200: CalibrationDto, ...errorResponses },
      },
    },
    async (request) => calibration.last(actorOf(request)),
  );
}
