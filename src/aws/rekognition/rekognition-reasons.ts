import type { Reason, UnindexedFace } from '@aws-sdk/client-rekognition';
import type { ErrorCode } from '../../domain/errors.js';
import type { RemoteRefusal } from '../../services/remote-face-matcher.port.js';

/**
 * Rekognition's `UnindexedFaces` reasons on facegate's reason codes (ours were modelled on these). `LOW_CONFIDENCE`
 * (unsure it is a face) and `LOW_FACE_QUALITY` (Rekognition's own quality filter) have no finer code of ours.
 */
export const REASON_CODES: Readonly<Record<Reason, { code: ErrorCode; message: string }>> = {
  EXCEEDS_MAX_FACES: { code: 'MULTIPLE_FACES', message: 'More than one face in the picture' },
  EXTREME_POSE: { code: 'EXTREME_POSE', message: 'Head turned or tilted too far; face the camera' },
  LOW_BRIGHTNESS: { code: 'LOW_BRIGHTNESS', message: 'Picture too dark' },
  LOW_SHARPNESS: { code: 'LOW_SHARPNESS', message: 'Picture too blurry' },
  SMALL_BOUNDING_BOX: { code: 'SMALL_FACE', message: 'Face too small; come closer' },
  LOW_CONFIDENCE: { code: 'LOW_QUALITY', message: 'Face detected with low confidence' },
  LOW_FACE_QUALITY: { code: 'LOW_QUALITY', message: 'Face quality too low' },
};

/**
 * Our refusals for an IndexFaces call that indexed nothing: each distinct reason of the unindexed faces, or
 * `NO_FACE` when Rekognition found no face at all. Unknown future reasons become `LOW_QUALITY`.
 */
export function refusalsFor(unindexed: readonly UnindexedFace[]): RemoteRefusal[] {
  const seen = new Set<string>();
  const refusals: RemoteRefusal[] = [];
  for (const face of unindexed) {
    for (const reason of face.Reasons ?? []) {
      if (seen.has(reason)) continue;
      seen.add(reason);
      const mapped = REASON_CODES[reason] ?? {
        code: 'LOW_QUALITY',
        message: `Refused by Rekognition (${reason})`,
      };
      refusals.push({ ...mapped, source: reason });
    }
  }
  if (refusals.length === 0)
    refusals.push({ code: 'NO_FACE', source: 'NO_FACE_RECORDS', message: 'No face found' });
  return refusals;
}
