import { PASSWORD } from './e2e-kit.js';

/** What the set-up helpers need of a running server. */
export interface ServerAddress {
  url: string;
  setupToken: string;
}

/** An employee to find or create, with the photo that enrolls them. */
export interface EmployeeSeed {
  badge: string;
  firstName: string;
  lastName: string;
  department?: string;
  photo: Buffer;
}

/**
 * Set-up of an e2e test through the HTTP API, as the administrator `admin` with a bearer session: fast, no
 * browser. Each `ensure…` finds what is already there or creates it, so a test gets its preconditions whether it
 * runs alone or after others.
 */
export class ApiSetup {
  private session: Promise<string> | undefined;

  constructor(private readonly server: ServerAddress) {}

  /** Runs first-run set-up (administrator `admin`) unless it was done, and signs in once. */
  adminToken(): Promise<string> {
    this.session ??= this.signIn();
    return this.session;
  }

  /** Calls the API as `admin`; fails on any status other than `expected`. */
  async call<T>(method: string, path: string, body?: unknown, expected = [200, 201, 204]): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${await this.adminToken()}` };
    let payload: string | FormData | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const res = await fetch(`${this.server.url}${path}`, { method, headers, body: payload });
    const text = await res.text();
    if (!expected.includes(res.status)) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** The employee with `seed.badge`, enrolled with `seed.photo` when they did not exist; returns the id. */
  async ensureEmployee(seed: EmployeeSeed): Promise<string> {
    const existing = await this.findEmployee(seed.badge);
    if (existing) return existing.id;
    const form = new FormData();
    form.set('badge', seed.badge);
    form.set('firstName', seed.firstName);
    form.set('lastName', seed.lastName);
    if (seed.department) form.set('department', seed.department);
    form.set('photo', new Blob([seed.photo], { type: 'image/jpeg' }), `${seed.badge}.jpg`);
    const enrolled = await this.call<{ employee: { id: string } | null }>(
      'POST',
      '/v1/employees/enroll',
      form,
    );
    if (!enrolled.employee) throw new Error(`the photo of ${seed.badge} was refused`);
    return enrolled.employee.id;
  }

  /** The employee with exactly this badge, if any. */
  async findEmployee(badge: string): Promise<{ id: string; templateCount: number } | undefined> {
    const page = await this.call<{ items: Array<{ id: string; badge: string; templateCount: number }> }>(
      'GET',
      `/v1/employees?search=${encodeURIComponent(badge)}`,
    );
    return page.items.find((e) => e.badge === badge);
  }

  /** Deletes the employee with this badge, if any. */
  async removeEmployee(badge: string): Promise<void> {
    const existing = await this.findEmployee(badge);
    if (existing) await this.call('DELETE', `/v1/employees/${existing.id}`);
  }

  /** Photo ids of an employee's face templates. */
  async photoIds(employeeId: string): Promise<string[]> {
    const faces = await this.call<{ items: Array<{ photoId: string | null }> }>(
      'GET',
      `/v1/employees/${employeeId}/faces`,
    );
    return faces.items.flatMap((f) => (f.photoId ? [f.photoId] : []));
  }

  /**
   * A new API key with the kiosk role (its own lockout subject); returns the secret. `photoUpload` turns on the
   * kiosk's "Use a photo instead" fallback (off by default).
   */
  async kioskKey(name: string, { photoUpload = false } = {}): Promise<string> {
    const created = await this.call<{ key: { id: string }; secret: string }>('POST', '/v1/keys', {
      name,
      role: 'kiosk',
    });
    if (photoUpload) await this.call('PUT', `/v1/keys/${created.key.id}/kiosk`, { allowPhotoUpload: true });
    return created.secret;
  }

  /** The admin-console user `username` with `role` and the test password, created when missing. */
  async ensureUser(username: string, role: 'admin' | 'enroller' | 'auditor'): Promise<void> {
    const users = await this.call<{ items: Array<{ username: string }> }>('GET', '/v1/users');
    if (users.items.some((u) => u.username === username)) return;
    await this.call('POST', '/v1/users', { username, password: PASSWORD, role });
  }

  /** Changes settings (any subset of fields). */
  async settings(patch: Record<string, unknown>): Promise<void> {
    await this.call('PUT', '/v1/settings', patch);
  }

  /** One face login with a kiosk key, as a kiosk sends it; returns the decision. */
  async authenticate(kioskKey: string, photo: Buffer): Promise<string> {
    const res = await fetch(`${this.server.url}/v1/authenticate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${kioskKey}`, 'content-type': 'image/jpeg' },
      body: photo,
    });
    if (res.status !== 200) throw new Error(`POST /v1/authenticate: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { decision: string }).decision;
  }

  /**
   * Liveness mode `off` for every kiosk of these tests: the kiosk tests post single photos (liveness `challenge`,
   * the default, refuses them).
   */
  private async singlePhotoLogins(token: string): Promise<void> {
    const res = await fetch(`${this.server.url}/v1/settings`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ livenessMode: 'off' }),
    });
    if (res.status !== 200) throw new Error(`PUT /v1/settings: ${res.status} ${await res.text()}`);
  }

  private async signIn(): Promise<string> {
    const { url, setupToken } = this.server;
    const status = (await (await fetch(`${url}/v1/setup/status`)).json()) as { needsSetup: boolean };
    if (status.needsSetup) {
      const res = await fetch(`${url}/v1/setup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ setupToken, username: 'admin', password: PASSWORD }),
      });
      if (res.status !== 201) throw new Error(`POST /v1/setup: ${res.status} ${await res.text()}`);
    }
    const res = await fetch(`${url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: PASSWORD, session: 'bearer' }),
    });
    if (res.status !== 200) throw new Error(`POST /v1/auth/login: ${res.status} ${await res.text()}`);
    const token = ((await res.json()) as { token?: string }).token;
    if (!token) throw new Error('POST /v1/auth/login returned no bearer token');
    await this.singlePhotoLogins(token);
    return token;
  }
}
