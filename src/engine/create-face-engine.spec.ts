import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { MODEL_THRESHOLDS } from '../gallery/threshold-presets.js';
import { localEngineSettings } from './create-face-engine.js';
import { localEngineInfo } from './local-face-engine.js';

describe('default engine settings', () => {
  const config = loadConfig({ NODE_ENV: 'test' });

  it('produce a model id that has calibrated thresholds', () => {
    const info = localEngineInfo(localEngineSettings(config));
    expect(info).toMatchObject({
      model: 'mp-mesh+fr_feature*0.5+mobilefacenet*0.5',
      version: '1.2',
      dimension: 704,
    });
    expect(MODEL_THRESHOLDS[info.model]).toBeDefined();
  });

  it("run MediaPipe's short-range detector unless FACEGATE_DETECTOR names another; Human's model id is calibrated too", () => {
    expect(localEngineSettings(config).detector).toBe('mediapipe-onnx');
    for (const detector of ['mediapipe-onnx', 'mediapipe-onnx-full']) {
      const mp = loadConfig({ NODE_ENV: 'test', FACEGATE_DETECTOR: detector });
      const info = localEngineInfo(localEngineSettings(mp));
      expect(info.model).toBe('mp-mesh+fr_feature*0.5+mobilefacenet*0.5');
      expect(MODEL_THRESHOLDS[info.model]).toBeDefined();
    }
    const human = localEngineInfo(
      localEngineSettings(loadConfig({ NODE_ENV: 'test', FACEGATE_DETECTOR: 'human' })),
    );
    expect(human.model).toBe('human-mesh+fr_feature*0.5+mobilefacenet*0.5');
    expect(MODEL_THRESHOLDS[human.model]).toBeDefined();
    expect(() => loadConfig({ NODE_ENV: 'test', FACEGATE_DETECTOR: 'yolo' })).toThrow();
  });

  it('give ONNX Runtime one thread unless told otherwise', () => {
    expect(localEngineSettings(config).ortThreads).toBe(1);
    const three = loadConfig({ NODE_ENV: 'test', FACEGATE_ORT_THREADS: '3' });
    expect(localEngineSettings(three).ortThreads).toBe(3);
  });
});
