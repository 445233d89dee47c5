import { Type } from 'typebox';
import { FacegateError } from '../../domain/errors.js';
import {
  toEmployeeViewDto,
  toEnrollResultDto,
  toErasureDto,
  toFaceDto,
  toPhotoResultsDto,
} from '../dto/employee.dto.js';
import { readImages } from '../image-input.js';
import { sendPhoto } from '../photo-reply.js';
import { actorOf } from '../request-auth.js';
import { errorResponses, IdParams } from '../schemas/common.schema.js';
import {
  CreateEmployeeBody,
  EmployeeDto,
  EmployeePage,
  EnrollNewResultDto,
  EnrollQuery,
  EnrollResultDto,
  ErasureDto,
  FaceDeletionDto,
  FaceDto,
  FaceParams,
  ListEmployeesQuery,
  PhotoParams,
  UpdateEmployeeBody,
} from '../schemas/employee.schema.js';
import { type RouteDeps, SECURED, type TypedApp } from './route-types.js';

/** Most photos one enrollment request may carry. */
export const MAX_PHOTOS_PER_REQUEST = 20;

const tags = ['employees'];

/** Employees: CRUD, suspend/reactivate, photos → templates, erasure, kept photos, face-login unlock. */
// Long by design: a flat list of route declarations, each a few lines; splitting would only scatter the table.
export function employeeRoutes(app: TypedApp, { ctx, imageGate }: RouteDeps): void {
  const { employees, employeeViews: views, erasure } = ctx;

  app.get(
    '/v1/employees',
    {
      config: { permission: 'employees:read' },
      schema: {
        tags,
        summary: 'List employees (search over badge, names, e-mail; paging)',
        security: SECURED,
        querystring: ListEmployeesQuery,
        response: { 200: EmployeePage, ...errorResponses },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const offset = request.query.offset ?? 0;
      const page = await views.list({ ...request.query, limit, offset }, actorOf(request));
      return { items: page.items.map(toEmployeeViewDto), total: page.total, limit, offset };
    },
  );

  app.post(
    '/v1/employees',
    {
      config: { permission: 'employees:write' },
      schema: {
        tags,
        summary: 'Create an employee (faces are added with POST /v1/employees/{id}/faces)',
        security: SECURED,
        body: CreateEmployeeBody,
        response: { 201: EmployeeDto, ...errorResponses },
      },
    },
    async (request, reply) => {
      const employee = await views.create(request.body, actorOf(request));
      return reply.code(201).send(toEmployeeViewDto(employee));
    },
  );

  app.get(
    '/v1/employees/:id',
    {
      config: { permission: 'employees:read' },
      schema: {
        tags,
        summary: 'Get an employee',
        security: SECURED,
        params: IdParams,
        response: { 200: EmployeeDto, ...errorResponses },
      },
    },
    async (request) => toEmployeeViewDto(await views.get(request.params.id, actorOf(request))),
  );

  app.patch(
    '/v1/employees/:id',
    {
      config: { permission: 'employees:write' },
      schema: {
        tags,
        summary: 'Update badge, names, e-mail, department or role',
        security: SECURED,
        params: IdParams,
        body: UpdateEmployeeBody,
        response: { 200: EmployeeDto, ...errorResponses },
      },
    },
    async (request) =>
      toEmployeeViewDto(await views.update(request.params.id, request.body, actorOf(request))),
  );

  app.post(
    '/v1/employees/:id/suspend',
    {
      config: { permission: 'employees:write' },
      schema: {
        tags,
        summary: 'Suspend: the employee never matches until reactivated',
        security: SECURED,
        params: IdParams,
        response: { 200: EmployeeDto, ...errorResponses },
      },
    },
    async (request) => toEmployeeViewDto(await views.suspend(request.params.id, actorOf(request))),
  );

  app.post(
    '/v1/employees/:id/reactivate',
    {
      config: { permission: 'employees:write' },
      schema: {
        tags,
        summary: 'Reactivate a suspended employee',
        security: SECURED,
        params: IdParams,
        response: { 200: EmployeeDto, ...errorResponses },
      },
    },
    async (request) => toEmployeeViewDto(await views.reactivate(request.params.id, actorOf(request))),
  );

  app.post(
    '/v1/employees/:id/unlock',
    {
      config: { permission: 'employees:unlock' },
      schema: {
        tags,
        summary: 'Clear the face-login lock set by the lockout hard cap (admins)',
        security: SECURED,
        params: IdParams,
        response: { 200: EmployeeDto, ...errorResponses },
      },
    },
    async (request) => toEmployeeViewDto(await views.unlock(request.params.id, actorOf(request))),
  );

  app.post(
    '/v1/employees/:id/faces',
    {
      config: { permission: 'faces:enroll', imageWork: true },
      schema: {
        tags,
        summary: 'Add photos (multipart, one file part per photo); per-photo accept/reject reasons',
        description: `Up to ${MAX_PHOTOS_PER_REQUEST} file parts of multipart/form-data, or one raw image/* body.`,
        security: SECURED,
        params: IdParams,
        querystring: EnrollQuery,
        response: { 200: EnrollResultDto, ...errorResponses },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const { images } = await readImages(request, MAX_PHOTOS_PER_REQUEST);
      const photos = images.map((i) => ({ bytes: i.bytes, contentType: i.contentType, file: i.fileName }));
      const result = await imageGate.run(() =>
        views.enrollPhotos(request.params.id, photos, actor, {
          force: request.query.force === true,
          confirmMismatch: request.query.confirmMismatch === true,
        }),
      );
      return toEnrollResultDto(result);
    },
  );

  app.post(
    '/v1/employees/enroll',
    {
      config: { permission: 'faces:enroll', imageWork: true },
      schema: {
        tags,
        summary: 'Create an employee together with its photos: never an employee without a face template',
        description:
          'multipart/form-data with the fields `badge`, `firstName`, `lastName` (and optional `email`, ' +
          `\`department\`, \`role\`) and up to ${MAX_PHOTOS_PER_REQUEST} file parts. A new badge is created in the ` +
          'same transaction as its first accepted template, and not at all when no photo is accepted ' +
          '(`employee: null`); an existing badge gets the photos added. `201` when the employee was created.',
        security: SECURED,
        querystring: EnrollQuery,
        response: { 200: EnrollNewResultDto, 201: EnrollNewResultDto, ...errorResponses },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      if (!request.isMultipart()) {
        throw new FacegateError(
          'UNSUPPORTED_MEDIA_TYPE',
          'Send the employee and photos as multipart/form-data',
        );
      }
      const { images, fields } = await readImages(request, MAX_PHOTOS_PER_REQUEST);
      const photos = images.map((i) => ({ bytes: i.bytes, contentType: i.contentType, file: i.fileName }));
      const input = {
        badge: fields.badge ?? '',
        firstName: fields.firstName ?? '',
        lastName: fields.lastName ?? '',
        email: fields.email || null,
        department: fields.department || null,
        role: fields.role || null,
      };
      const result = await imageGate.run(() =>
        views.enrollByBadge(input, photos, actor, {
          force: request.query.force === true,
          confirmMismatch: request.query.confirmMismatch === true,
        }),
      );
      return reply.code(result.created ? 201 : 200).send({
        employee: result.employee ? toEmployeeViewDto(result.employee) : null,
        created: result.created,
        added: result.added,
        photos: toPhotoResultsDto(result),
      });
    },
  );

  app.get(
    '/v1/employees/:id/faces',
    {
      config: { permission: 'faces:read' },
      schema: {
        tags,
        summary: 'Templates of an employee (metadata and photo ids; never embeddings)',
        security: SECURED,
        params: IdParams,
        response: { 200: Type.Object({ items: Type.Array(FaceDto) }), ...errorResponses },
      },
    },
    async (request) => {
      const details = await employees.getDetails(request.params.id, actorOf(request));
      return { items: details.templates.map(toFaceDto) };
    },
  );

  app.delete(
    '/v1/employees/:id/faces/:faceId',
    {
      config: { permission: 'faces:enroll' },
      schema: {
        tags,
        summary: 'Delete one face template: the template, its kept photo and its gallery entry (audited)',
        security: SECURED,
        params: FaceParams,
        response: { 200: FaceDeletionDto, ...errorResponses },
      },
    },
    async (request) => {
      const { id, faceId } = request.params;
      const deleted = await views.deleteFace(id, faceId, actorOf(request));
      return {
        employeeId: deleted.employeeId,
        faceId: deleted.templateId,
        photoDeleted: deleted.photoDeleted,
      };
    },
  );

  app.get(
    '/v1/employees/:id/photos/:photoId',
    {
      config: { permission: 'photos:read' },
      schema: {
        tags,
        summary: 'A kept enrollment photo (admins and enrollers; never auditors or kiosks)',
        security: SECURED,
        params: PhotoParams,
        response: { 200: Type.Unknown({ description: 'The image bytes' }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const photo = await employees.getPhoto(request.params.id, request.params.photoId, actorOf(request));
      return sendPhoto(reply, photo);
    },
  );

  app.delete(
    '/v1/employees/:id',
    {
      config: { permission: 'employees:delete' },
      schema: {
        tags,
        summary: 'Erase the employee: record, every template, every kept photo, gallery entry',
        security: SECURED,
        params: IdParams,
        response: { 200: ErasureDto, ...errorResponses },
      },
    },
    async (request) => toErasureDto(await erasure.deleteEmployee(request.params.id, actorOf(request))),
  );
}
