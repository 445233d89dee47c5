import { describe, expect, it } from 'vitest';
import { FacegateError } from '../domain/errors.js';
import { loadConfig } from './config.js';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ NODE_ENV: 'test', ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(FacegateError);
    expect((error as FacegateError).code).toBe('CONFIG_INVALID');
    return ((error as FacegateError).details as { problems: string[] }).problems;
  }
  return [];
}

describe('engine fusion setting', () => {
  it('defaults to fr_feature and MobileFaceNet, equally weighted', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).engine.fusion).toEqual([
      { embedder: 'fr_feature', weight: 0.5 },
      { embedder: 'mobilefacenet', weight: 0.5 },
    ]);
  });

  it('reads members written as the model id names them and normalises the weights', () => {
    const config = loadConfig({ NODE_ENV: 'test', FACEGATE_FUSION: 'fr_feature*3 + mobilefacenet*3+dlib*4' });
    expect(config.engine.fusion).toEqual([
      { embedder: 'fr_feature', weight: 0.3 },
      { embedder: 'mobilefacenet', weight: 0.3 },
      { embedder: 'dlib', weight: 0.4 },
    ]);
  });

  it.each([
    'fr_feature*1',
    'fr_feature*0.5+fr_feature*0.5',
    'fr_feature*0.5+arcface*0.5',
    'fr_feature*0.5+dlib*0',
    'fr_feature*0.5+dlib*-1',
    'fr_feature+dlib',
    'fr_feature*x+dlib*1',
  ])('refuses "%s" with a message that shows the expected form', (value) => {
    const found = problems({ FACEGATE_FUSION: value });
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('FACEGATE_FUSION');
    expect(found[0]).toContain('fr_feature*0.5+mobilefacenet*0.5');
  });

  it('accepts every single embedder and fusion as FACEGATE_EMBEDDER', () => {
    for (const embedder of ['fr_feature', 'mobilefacenet', 'dlib', 'fusion']) {
      expect(loadConfig({ NODE_ENV: 'test', FACEGATE_EMBEDDER: embedder }).engine.embedder).toBe(embedder);
    }
    expect(problems({ FACEGATE_EMBEDDER: 'faceres' })[0]).toContain('FACEGATE_EMBEDDER');
  });

  it('refuses the removed FACEGATE_FUSION_WEIGHT instead of ignoring it', () => {
    expect(problems({ FACEGATE_FUSION_WEIGHT: '0.3' })[0]).toContain('FACEGATE_FUSION');
  });

  it('reports every problem at once', () => {
    expect(problems({ FACEGATE_FUSION: 'dlib*1', FACEGATE_PORT: 'eighty' })).toHaveLength(2);
  });
});
