import type { EngineInfo, FaceAnalysis, FaceEngine } from '../engine/face-engine.port.js';
import type {
  FaceMatcher,
  IdentifyVerdict,
  MatchCandidate,
  MatchProbe,
  PreparedTemplate,
  VerifyVerdict,
} from './face-matcher.port.js';
import { toNewTemplate } from './face-template.mapper.js';
import type { ServiceGallery } from './service-context.js';

/** The local face engine and the in-memory gallery behind the {@link FaceMatcher} port. */
export class LocalFaceMatcher implements FaceMatcher {
  constructor(
    private readonly engine: FaceEngine,
    private readonly gallery: ServiceGallery,
  ) {}

  get info(): EngineInfo {
    return this.engine.info;
  }

  async probe(photo: Uint8Array, analysis?: FaceAnalysis): Promise<MatchProbe> {
    const analysed = analysis ?? (await this.engine.analyze(photo));
    return {
      photo,
      issues: analysed.face.quality.issues.map((i) => ({
        code: i.code,
        message: i.message,
        value: i.value,
        threshold: i.threshold,
      })),
      timings: analysed.timings,
      analysis: analysed,
      embedding: analysed.embedding,
      format: analysed.image.format === 'jpg' ? 'jpeg' : analysed.image.format,
    };
  }

  async identify(
    probe: MatchProbe,
    options: { threshold: number; margin: number },
  ): Promise<IdentifyVerdict> {
    const { best, secondBest, decision, reason } = this.gallery.identify(embeddingOf(probe), options);
    return { best, secondBest, decision, reason };
  }

  async verify(employeeId: string, probe: MatchProbe): Promise<VerifyVerdict> {
    return { score: this.gallery.verify(employeeId, embeddingOf(probe)) };
  }

  async findDuplicate(
    probe: MatchProbe,
    threshold: number,
    excludeEmployeeId?: string,
  ): Promise<MatchCandidate | null> {
    return this.gallery.findDuplicate(embeddingOf(probe), threshold, excludeEmployeeId);
  }

  async prepare(_employeeId: string, probe: MatchProbe): Promise<PreparedTemplate> {
    const {
      sourceHash: _h,
      photoKey: _k,
      photoContentType: _c,
      ...template
    } = toNewTemplate(analysisOf(probe), { sourceHash: '', photoKey: null, photoContentType: null });
    return { template };
  }

  async discard(): Promise<void> {
    // Nothing is matchable before the commit.
  }

  committed(
    employeeId: string,
    templates: ReadonlyArray<{ id: string; embedding: Float32Array }>,
    eligible: boolean,
  ): void {
    this.gallery.add(employeeId, templates);
    this.gallery.setEligible(employeeId, eligible);
  }

  async removeTemplate(_employeeId: string, templateId: string): Promise<boolean> {
    return this.gallery.removeTemplate(templateId);
  }

  async removeEmployee(employeeId: string): Promise<number> {
    return this.gallery.removeEmployee(employeeId);
  }

  setEligible(employeeId: string, eligible: boolean): void {
    this.gallery.setEligible(employeeId, eligible);
  }

  templateCount(employeeId: string): number {
    return this.gallery.templateCount(employeeId);
  }
}

function analysisOf(probe: MatchProbe): FaceAnalysis {
  if (!probe.analysis) throw new TypeError('A local probe always carries its analysis');
  return probe.analysis;
}

function embeddingOf(probe: MatchProbe): Float32Array {
  return probe.embedding ?? analysisOf(probe).embedding;
}
