import { toTemplateUpgradeDto } from '../dto/template.dto.js';
import { actorOf } from '../request-auth.js';
import { errorResponses } from '../schemas/common.schema.js';
import { TemplateUpgradeDto, UpgradeTemplatesBody } from '../schemas/template.schema.js';
import { type RouteDeps, SECURED, type TypedApp } from './route-types.js';

/** Face templates of the whole gallery: the model upgrade. */
export function templateRoutes(app: TypedApp, { ctx }: RouteDeps): void {
  app.post(
    '/v1/templates/upgrade',
    {
      config: { permission: 'templates:upgrade' },
      schema: {
        tags: ['templates'],
        summary: 'Rebuild templates of another model or version from their kept photos (admins)',
        description:
          'Runs every stale template’s kept photo through the current engine and replaces the template (same ' +
          'employee and photo) in one transaction per employee; the gallery of this server follows at once. ' +
          'Templates without a kept photo, or whose photo no longer passes the enrollment quality gate, are left ' +
          'as they are and listed in `needsReEnrollment`. Runs synchronously; a second run changes nothing. ' +
          '`409 CONFLICT` while another upgrade runs. A dry run unless the body says `"dryRun": false`.',
        security: SECURED,
        body: UpgradeTemplatesBody,
        response: { 200: TemplateUpgradeDto, ...errorResponses },
      },
    },
    async (request) =>
      toTemplateUpgradeDto(
        await ctx.templateUpgrade.upgrade(actorOf(request), { dryRun: request.body.dryRun !== false }),
      ),
  );
}
