import { Type } from 'typebox';
import { actorOf } from '../request-auth.js';
import { errorResponses, IdParams } from '../schemas/common.schema.js';
import {
  KioskConfigDto,
  KioskKeySettingsBody,
  KioskOverviewDto,
  RedeemedPairingDto,
  RedeemPairingBody,
  SetSetupPinBody,
  SetupPinBody,
  StartedPairingDto,
  StartPairingBody,
} from '../schemas/kiosk.schema.js';
import { type RouteDeps, SECURED, type TypedApp } from './route-types.js';

const tags = ['kiosk'];

/** Kiosk pairing by one-time code, the kiosk's own settings and its set-up PIN. */
// Long by design: a flat list of route declarations, each a few lines; splitting would only scatter the table.
export function kioskRoutes(app: TypedApp, { ctx }: RouteDeps): void {
  const pairing = ctx.kioskPairing;

  app.post(
    '/v1/kiosk/pairings',
    {
      config: { permission: 'keys:manage' },
      schema: {
        tags,
        summary: 'Start pairing a kiosk: a one-time code (ten minutes, single use) that creates its key',
        security: SECURED,
        body: StartPairingBody,
        response: { 201: StartedPairingDto, ...errorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(await pairing.start(actorOf(request), request.body)),
  );

  app.post(
    '/v1/kiosk/pair',
    {
      config: { auth: 'none' },
      schema: {
        tags,
        summary: 'Redeem a pairing code at the kiosk: returns the new kiosk key once',
        body: RedeemPairingBody,
        response: { 200: RedeemedPairingDto, ...errorResponses },
      },
    },
    async (request) => {
      const { secret, name } = await pairing.redeem(request.body.code, request.ip ?? null);
      return { secret, name };
    },
  );

  app.get(
    '/v1/kiosk/config',
    {
      config: { permission: 'faces:identify' },
      schema: {
        tags,
        summary: "The calling kiosk's settings (also how a kiosk checks a key before saving it)",
        security: SECURED,
        response: { 200: KioskConfigDto, ...errorResponses },
      },
    },
    async (request) => pairing.config(actorOf(request)),
  );

  app.post(
    '/v1/kiosk/setup-check',
    {
      config: { permission: 'faces:identify' },
      schema: {
        tags,
        summary: 'Check the kiosk set-up PIN (403 when wrong or not set)',
        security: SECURED,
        body: SetupPinBody,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await pairing.checkSetupPin(actorOf(request), request.body.pin);
      return reply.code(204).send(null);
    },
  );

  app.put(
    '/v1/kiosk/setup-pin',
    {
      config: { permission: 'settings:write' },
      schema: {
        tags,
        summary: 'Set or remove the kiosk set-up PIN',
        security: SECURED,
        body: SetSetupPinBody,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await pairing.setSetupPin(actorOf(request), request.body.pin);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/kiosk/overview',
    {
      config: { permission: 'keys:manage' },
      schema: {
        tags,
        summary: 'Kiosk settings for the admin console: set-up PIN present, keys with the photo fallback',
        security: SECURED,
        response: { 200: KioskOverviewDto, ...errorResponses },
      },
    },
    async (request) => pairing.overview(actorOf(request)),
  );

  app.put(
    '/v1/keys/:id/kiosk',
    {
      config: { permission: 'keys:manage' },
      schema: {
        tags,
        summary: 'Per-kiosk settings of a kiosk key ("Use a photo instead" is off unless turned on here)',
        security: SECURED,
        params: IdParams,
        body: KioskKeySettingsBody,
        response: { 200: KioskKeySettingsBody, ...errorResponses },
      },
    },
    async (request) => {
      await pairing.setPhotoUpload(actorOf(request), request.params.id, request.body.allowPhotoUpload);
      return { allowPhotoUpload: request.body.allowPhotoUpload };
    },
  );
}
