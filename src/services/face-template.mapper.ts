import type { NewFaceTemplate } from '../domain/models.js';
import type { FaceAnalysis } from '../engine/face-engine.port.js';
import { roundScore } from './match-settings.js';

/** Where a template's face came from: the photo's hash and, when kept, its blob key and type. */
export interface TemplateSource {
  sourceHash: string;
  photoKey: string | null;
  photoContentType: string | null;
}

/** The template to store for an analysed photo: the engine's embedding and model, rounded quality figures. */
export function toNewTemplate(analysis: FaceAnalysis, source: TemplateSource): NewFaceTemplate {
  const { face, embedding, engineInfo } = analysis;
  const q = face.quality;
  return {
    embedding,
    engine: engineInfo.engine,
    model: engineInfo.model,
    modelVersion: engineInfo.version,
    quality: {
      faceSize: roundScore(q.faceSize),
      sharpness: roundScore(q.sharpness),
      brightness: roundScore(q.brightness),
      yaw: roundScore(q.pose.yaw),
      pitch: roundScore(q.pose.pitch),
      roll: roundScore(q.pose.roll),
      detectorScore: roundScore(face.score),
    },
    ...source,
  };
}
