import type { TemplateUpgradeSummary } from '../../services/template-upgrade.service.js';

/** Maps an upgrade summary to its DTO (the API calls templates faces). */
export function toTemplateUpgradeDto(s: TemplateUpgradeSummary) {
  return {
    ...s,
    needsReEnrollment: s.needsReEnrollment.map(({ templateId, ...rest }) => ({
      faceId: templateId,
      ...rest,
    })),
    lookAlikes: s.lookAlikes.map(({ templateId, ...rest }) => ({ faceId: templateId, ...rest })),
  };
}
