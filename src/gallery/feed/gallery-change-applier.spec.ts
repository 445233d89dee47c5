import { describe, expect, it } from 'vitest';
import type { NewFaceTemplate } from '../../domain/models.js';
import { createMemoryStore } from '../../store/testing/memory-store.js';
import { Gallery } from '../gallery.js';
import { GalleryChangeApplier } from './gallery-change-applier.js';
import { LocalGalleryFeed } from './local-gallery-feed.js';

const engine = { model: 'm1', version: '1', dimension: 4 };

function tpl(axis: number, model = 'm1'): NewFaceTemplate {
  const embedding = new Float32Array(4);
  embedding[axis] = 1;
  return {
    embedding,
    engine: 'local',
    model,
    modelVersion: '1',
    quality: { faceSize: 1, sharpness: 1, brightness: 0.5, yaw: 0, pitch: 0, roll: 0, detectorScore: 1 },
    sourceHash: `h${axis}${model}`,
    photoKey: null,
    photoContentType: null,
  };
}

const probe = (axis: number) => {
  const v = new Float32Array(4);
  v[axis] = 1;
  return v;
};

function setup() {
  const store = createMemoryStore();
  const gallery = new Gallery(engine, store, { match: { threshold: 0.9, margin: 0 } });
  return { store, gallery, applier: new GalleryChangeApplier(gallery, store) };
}

describe('GalleryChangeApplier', () => {
  it('reloads one employee as the store has it: current-model templates and eligibility', async () => {
    const { store, gallery, applier } = setup();
    const ann = await store.employees.create({ badge: 'A', firstName: 'A', lastName: 'A' });
    await store.templates.add(ann.id, tpl(0));
    await store.templates.add(ann.id, tpl(1, 'other-model'));
    await applier.reloadEmployee(ann.id);
    expect(gallery.templateCount(ann.id)).toBe(1);
    expect(gallery.identify(probe(0)).best?.employeeId).toBe(ann.id);
    await store.employees.update(ann.id, { status: 'suspended' });
    await applier.reloadEmployee(ann.id);
    expect(gallery.identify(probe(0)).decision).toBe('no_match');
    await applier.reloadEmployee(ann.id); // twice: no harm
    expect(gallery.templateCount(ann.id)).toBe(1);
    await store.employees.delete(ann.id);
    await applier.reloadEmployee(ann.id);
    expect(gallery.templateCount(ann.id)).toBe(0);
    expect(gallery.isEligible(ann.id)).toBe(false);
  });

  it('resync rebuilds the gallery: stale employees go, stored ones are replaced whole', async () => {
    const { store, gallery, applier } = setup();
    const ann = await store.employees.create({ badge: 'A', firstName: 'A', lastName: 'A' });
    const bob = await store.employees.create({ badge: 'B', firstName: 'B', lastName: 'B' });
    await store.templates.add(ann.id, tpl(0));
    await store.templates.add(bob.id, tpl(1));
    await gallery.load();
    gallery.add('ghost', [{ id: 'ghost-t', embedding: probe(2) }]);
    gallery.setEligible('ghost', true);
    await store.employees.update(bob.id, { status: 'suspended' });
    await store.templates.add(ann.id, tpl(3));
    expect(await applier.resync()).toEqual({ employees: 2, templates: 3 });
    expect(gallery.templateCount('ghost')).toBe(0);
    expect(gallery.templateCount(ann.id)).toBe(2);
    expect(gallery.identify(probe(3)).best?.employeeId).toBe(ann.id);
    expect(gallery.isEligible(bob.id)).toBe(false);
  });
});

describe('LocalGalleryFeed', () => {
  it('is ready once the gallery is loaded, and never refuses a match', async () => {
    const { store, gallery } = setup();
    const feed = new LocalGalleryFeed(gallery);
    expect(feed.status()).toMatchObject({ ready: false, reason: 'gallery not loaded' });
    const ann = await store.employees.create({ badge: 'A', firstName: 'A', lastName: 'A' });
    await store.templates.add(ann.id, tpl(0));
    await feed.start();
    expect(feed.status()).toMatchObject({ ready: true, lagMs: 0 });
    expect(gallery.templateCount(ann.id)).toBe(1);
    expect(() => feed.assertFresh()).not.toThrow();
  });
});
