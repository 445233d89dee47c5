import { describe, expect, it } from 'vitest';
import { ApiKeyService } from '../auth/api-key.service.js';
import { type Actor, rolePolicy } from '../domain/access.js';
import { createMemoryStore } from '../store/testing/memory-store.js';
import { KioskPairingService, PAIRING_TTL_MS, PIN_ATTEMPTS, PIN_PAUSE_MS } from './kiosk-pairing.service.js';

const admin: Actor = { type: 'user', id: 'u1', role: 'admin', name: 'root', ip: null };

function setup() {
  let now = new Date('2026-11-29T10:00:00Z');
  const clock = () => now;
  const store = createMemoryStore(clock);
  const runtime = { policy: rolePolicy, clock: { now: clock } };
  const keys = new ApiKeyService({ ...runtime, store });
  const pairing = new KioskPairingService({ ...runtime, store, apiKeys: keys });
  return { store, keys, pairing, advance: (ms: number) => (now = new Date(now.getTime() + ms)) };
}

describe('KioskPairingService', () => {
  it('redeems a code once into a working kiosk key, storing only its hash', async () => {
    const s = setup();
    const { code } = await s.pairing.start(admin, { name: 'Front door' });
    expect(code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    expect(JSON.stringify([...s.store.state.kioskPairings.values()])).not.toContain(code.replace('-', ''));
    const redeemed = await s.pairing.redeem(code.toLowerCase().replace('-', ' '), null);
    const kiosk = await s.keys.authenticate(redeemed.secret, null);
    expect(kiosk).toMatchObject({ role: 'kiosk', name: 'Front door' });
    expect(await s.pairing.config(kiosk)).toEqual({
      name: 'Front door',
      allowPhotoUpload: false,
      setupPinSet: false,
      livenessMode: 'challenge',
      livenessProvider: 'local',
    });
    await expect(s.pairing.redeem(code, null)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it("announces the server's liveness provider, and none for a kiosk whose liveness mode is off", async () => {
    const s = setup();
    const kiosk: Actor = { type: 'api_key', id: 'k1', role: 'kiosk', name: 'Door', ip: null };
    const modes: Record<string, 'off' | 'challenge'> = { k1: 'challenge' };
    const pairing = new KioskPairingService({
      policy: rolePolicy,
      store: s.store,
      apiKeys: s.keys,
      livenessModeOf: async (actor) => modes[actor.id] ?? 'challenge',
      livenessProvider: 'rekognition',
    });
    expect(await pairing.config(kiosk)).toMatchObject({
      livenessMode: 'challenge',
      livenessProvider: 'rekognition',
    });
    modes.k1 = 'off';
    expect(await pairing.config(kiosk)).toMatchObject({ livenessMode: 'off', livenessProvider: null });
  });

  it('refuses an expired code and lets only admins start one', async () => {
    const s = setup();
    const { code } = await s.pairing.start(admin, { name: 'Lobby', allowPhotoUpload: true });
    s.advance(PAIRING_TTL_MS + 1);
    await expect(s.pairing.redeem(code, null)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    const enroller: Actor = { ...admin, role: 'enroller' };
    await expect(s.pairing.start(enroller, { name: 'x' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('carries the photo fallback to the key and checks the set-up PIN', async () => {
    const s = setup();
    const { code } = await s.pairing.start(admin, { name: 'Lobby', allowPhotoUpload: true });
    const kiosk = await s.keys.authenticate((await s.pairing.redeem(code, null)).secret, null);
    expect((await s.pairing.config(kiosk)).allowPhotoUpload).toBe(true);
    await expect(s.pairing.checkSetupPin(kiosk, '1234')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await s.pairing.setSetupPin(admin, '482913');
    await expect(s.pairing.checkSetupPin(kiosk, '1234')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await s.pairing.checkSetupPin(kiosk, '482913');
    await s.pairing.setPhotoUpload(admin, kiosk.id, false);
    expect(await s.pairing.config(kiosk)).toMatchObject({ allowPhotoUpload: false, setupPinSet: true });
    expect(s.store.state.audit.map((a) => a.action)).toContain('kiosk.setup.unlock');
  });

  it('makes a kiosk wait after five wrong set-up PINs', async () => {
    const s = setup();
    await s.pairing.setSetupPin(admin, '482913');
    const { code } = await s.pairing.start(admin, { name: 'Door' });
    const kiosk = await s.keys.authenticate((await s.pairing.redeem(code, null)).secret, null);
    for (let i = 0; i < PIN_ATTEMPTS; i++) {
      await expect(s.pairing.checkSetupPin(kiosk, '0000')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    }
    await expect(s.pairing.checkSetupPin(kiosk, '482913')).rejects.toMatchObject({ code: 'LOCKED_OUT' });
    s.advance(PIN_PAUSE_MS + 1);
    await s.pairing.checkSetupPin(kiosk, '482913');
  });
});
