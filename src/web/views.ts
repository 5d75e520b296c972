/**
 * Server-rendered pages: Handlebars (which escapes every {{value}}) with one layout, per-role navigation,
 * flash messages and the CSRF token every form needs. `reply.page()` is the one way pages render.
 */
import fp from 'fastify-plugin';
import fastifyView from '@fastify/view';
import Handlebars from 'handlebars';
import { fileURLToPath } from 'node:url';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { roleNames, type Role } from '../accounts/index.js';
import { regionTree } from '../taxonomy/index.js';
import { chinaDateTime, chinaDay } from './china-time.js';
import { mailHref, websiteHref } from './links.js';

const viewsDir = fileURLToPath(new URL('../../views', import.meta.url));

interface NavItem { href: string; label: string }

const home: NavItem = { href: '/', label: '首页' };
/** The organizers' back office; admins see the same plus user management and the audit trail. */
const staffNav: NavItem[] = [
  { href: '/organizer', label: '工作台' },
  { href: '/organizer/review', label: '审核队列' },
  { href: '/organizer/stale', label: '信息待更新企业' },
  { href: '/organizer/demands', label: '采购需求' },
  { href: '/organizer/events', label: '对接会' },
  { href: '/organizer/visits', label: '调研考察' },
  { href: '/organizer/list-batches', label: '清单批次' },
];
const reports: NavItem = { href: '/reports', label: '统计报表' };
const imports: NavItem = { href: '/admin/imports', label: '批量导入' };

const navByRole: Record<Role | 'guest', NavItem[]> = {
  guest: [home],
  admin: [home, ...staffNav, { href: '/admin/users', label: '用户管理' }, imports, { href: '/admin/audit', label: '审计日志' }, reports],
  organizer: [home, ...staffNav, imports, reports],
  vendor: [home, { href: '/vendor', label: '我的企业' }, { href: '/vendor/opportunities', label: '商机' }, { href: '/events', label: '对接会' }, { href: '/vendor/visits', label: '调研考察' }],
  buyer: [home, { href: '/buyer', label: '我的采购' }, { href: '/demands/new', label: '发布需求' }, { href: '/events', label: '对接会' }, { href: '/visits', label: '调研考察' }],
  leader: [home, reports],
};

export interface Flash { kind: 'success' | 'error' | 'info'; text: string }

declare module 'fastify' {
  interface FastifyReply {
    page(template: string, data?: Record<string, unknown>, options?: { csrf?: boolean }): Promise<FastifyReply>;
  }
  interface FastifyRequest {
    flash(kind: Flash['kind'], text: string): void;
  }
}

const handlebars = Handlebars.create();
handlebars.registerHelper('eq', (a: unknown, b: unknown) => a === b);
handlebars.registerHelper('roleName', (role: Role) => roleNames[role] ?? role);
// One China-time format on every page: "2026-12-01 09:30" and "2026-12-01" (src/web/china-time.ts).
handlebars.registerHelper('date', (value: unknown) => chinaDateTime(value));
handlebars.registerHelper('day', (value: unknown) => chinaDay(value));
handlebars.registerHelper('websiteHref', (value: unknown) => websiteHref(value));
handlebars.registerHelper('mailHref', (value: unknown) => mailHref(value));
handlebars.registerHelper('concat', (...args: unknown[]) => args.slice(0, -1).map(String).join(''));
// The address forms' cascading choices (views/partials/regions.hbs, public/js/regions.js), as JSON.
const regionsJson = JSON.stringify(regionTree());
handlebars.registerHelper('regionsJson', () => regionsJson);
const regionLists = (() => {
  const tree = regionTree();
  return { provinces: tree.provinces, cities: Object.values(tree.cities).flat(), districts: Object.values(tree.districts).flat() };
})();
handlebars.registerHelper('regionList', (kind: keyof typeof regionLists) => regionLists[kind] ?? []);
handlebars.registerHelper('yuan', (value: unknown) =>
  typeof value === 'number' ? `${value.toLocaleString('zh-CN')} 元` : '—',
);

// The public directory (推介清单) is for everyone, right after the home page.
const directoryNav: NavItem = { href: '/directory', label: '推介清单' };

function navFor(request: FastifyRequest, unread = 0): NavItem[] {
  const [homeItem, ...rest] = navByRole[request.user?.role ?? 'guest'];
  const items = [homeItem, directoryNav, ...rest];
  // The inbox, with its unread count, for everyone logged in (src/notifications).
  if (request.user) items.push({ href: '/inbox', label: unread ? `消息（${unread}）` : '消息' });
  const path = request.url.split('?')[0];
  const matches = (href: string) => (href === '/' ? path === '/' : path === href || path.startsWith(`${href}/`));
  // The longest matching entry is the current one (/organizer/review, not also /organizer).
  const current = items.filter((item) => matches(item.href)).sort((a, b) => b.href.length - a.href.length)[0];
  return items.map((item) => ({ ...item, current: item === current }));
}

/**
 * A form refused on its POST re-renders the page it came from, at the POST's address. The layout then
 * puts the address bar back to that page (public/js/return-to.js, history.replaceState), so a reload or a
 * shared link opens the page, not a bare POST URL. Only a same-site page the form was posted from counts.
 */
export function returnToAfterPost(request: Pick<FastifyRequest, 'method' | 'url' | 'host' | 'headers'>): string | undefined {
  if (request.method !== 'POST' || typeof request.headers.referer !== 'string') return undefined;
  let from: URL;
  try {
    from = new URL(request.headers.referer);
  } catch {
    return undefined;
  }
  if (from.host !== request.host || !/^https?:$/.test(from.protocol)) return undefined;
  const target = `${from.pathname}${from.search}`;
  return target === request.url ? undefined : target;
}

export interface ViewsOptions {
  /** The signed-in user's unread notifications, for the navigation badge (late-bound: notifications registers later). */
  unreadCount?: (userId: string) => Promise<number>;
}

export default fp<ViewsOptions>(async (app, { unreadCount = async () => 0 }) => {
  // The footer (views/layouts/main.hbs): SITE_HOST_ORG, SITE_CONTACT_PHONE, SITE_ICP_NUMBER.
  const site = {
    hostOrg: app.config.SITE_HOST_ORG,
    phone: app.config.SITE_CONTACT_PHONE,
    icp: app.config.SITE_ICP_NUMBER,
  };
  await app.register(fastifyView, {
    engine: { handlebars },
    root: viewsDir,
    layout: 'layouts/main.hbs',
    includeViewExtension: false,
    options: {
      partials: {
        flash: 'partials/flash.hbs',
        field: 'partials/field.hbs',
        regions: 'partials/regions.hbs',
        req: 'partials/req.hbs',
        csrf: 'partials/csrf.hbs',
        followup: 'partials/followup.hbs',
        evidence: 'partials/evidence.hbs',
        'badge-sheets': 'partials/badge-sheets.hbs',
        'checkin-scanner': 'partials/checkin-scanner.hbs',
      },
    },
    production: process.env.NODE_ENV === 'production',
  });

  app.decorateRequest('flash', function (this: FastifyRequest, kind: Flash['kind'], text: string) {
    const list = (this.session.get('flash') as Flash[] | undefined) ?? [];
    this.session.set('flash', [...list, { kind, text }]);
  });

  app.decorateReply('page', async function (this: FastifyReply, template, data = {}, options = {}) {
    const request = this.request;
    const session = request.session;
    const flashes = (session?.get('flash') as Flash[] | undefined) ?? [];
    if (flashes.length) session.set('flash', undefined);
    // Only a logged-in person has a session; a guest's form (login) gets a cookie-bound token instead.
    const csrfToken = request.authVia === 'session' ? await this.generateCsrf() : options.csrf ? this.generateGuestCsrf() : undefined;
    const unread = request.user ? await unreadCount(request.user.id).catch(() => 0) : 0;
    this.type('text/html; charset=utf-8');
    return this.view(template, {
      ...data,
      returnTo: this.statusCode >= 400 ? returnToAfterPost(request) : undefined,
      currentUser: request.user,
      nav: navFor(request, unread),
      // The unread count again, on the phone's 菜单 button (the navigation is folded away there).
      unread,
      flashes,
      csrfToken,
      site,
      year: new Date().getFullYear(),
    });
  });
});
