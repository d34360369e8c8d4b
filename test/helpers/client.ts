import type { LightMyRequestResponse } from 'fastify';
import type { App } from '../../src/http/types.js';

/**
 * A browser-like client over `app.inject`: it keeps cookies, and sends the CSRF token of the
 * right audience (help center or console) on unsafe requests, as the web app does.
 */
export class Client {
  readonly cookies = new Map<string, string>();
  headers: Record<string, string> = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 PorticoTest' };
  /** Set false to send unsafe requests without a CSRF token. */
  csrf = true;

  constructor(readonly app: App) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(res: LightMyRequestResponse): void {
    for (const c of res.cookies as Array<{ name: string; value: string; maxAge?: number; expires?: Date }>) {
      const expired = c.value === '' || c.maxAge === 0 || (c.expires && c.expires.getTime() < Date.now());
      if (expired) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
  }

  async csrfToken(path: string): Promise<string> {
    const staff = !/^\/api\/v1\/(auth|me)(\/|$|\?)/.test(path);
    const res = await this.request('GET', staff ? '/api/v1/staff-auth/session' : '/api/v1/auth/session');
    return res.json().csrfToken;
  }

  async request(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const h: Record<string, string> = { ...this.headers, ...headers };
    if (this.cookies.size) h.cookie = this.cookieHeader();
    if (this.csrf && !['GET', 'HEAD'].includes(method) && url.startsWith('/api/') && !('x-csrf-token' in h) && !h.authorization) {
      h['x-csrf-token'] = await this.csrfToken(url);
      if (this.cookies.size) h.cookie = this.cookieHeader();
    }
    const res = await this.app.inject({
      method: method as 'GET',
      url,
      headers: h,
      ...(body === undefined ? {} : typeof body === 'string' ? { payload: body } : { payload: body as object }),
    });
    this.remember(res);
    return res;
  }

  get(url: string, headers?: Record<string, string>) {
    return this.request('GET', url, undefined, headers);
  }
  post(url: string, body?: unknown, headers?: Record<string, string>) {
    return this.request('POST', url, body ?? {}, headers);
  }
  put(url: string, body?: unknown, headers?: Record<string, string>) {
    return this.request('PUT', url, body ?? {}, headers);
  }
  patch(url: string, body?: unknown, headers?: Record<string, string>) {
    return this.request('PATCH', url, body ?? {}, headers);
  }
  delete(url: string, body?: unknown, headers?: Record<string, string>) {
    return this.request('DELETE', url, body, headers);
  }
}
