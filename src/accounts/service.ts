/** Accounts: the only door to users, passwords, sessions and API tokens. No HTTP here. */
import { hash, verify } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';
import { isValidObjectId } from 'mongoose';
import type { Models } from '../infra/models.js';
import { createBuyerService } from '../buyers/index.js';
import { badRequest, conflict, notFound } from '../web/errors.js';
import { hashToken, toCurrentUser, type CurrentUser } from './access.js';
import type { Role } from './model.js';

// Verifying against this when the email is unknown keeps the timing of "no such user" and "wrong password" alike.
const DUMMY_HASH = await hash('not-a-real-password-0');

export const hashPassword = (password: string) => hash(password);

export interface NewUser {
  email: string;
  name: string;
  password: string;
  role: Role;
  org?: string;
}

export interface TokenPolicy {
  /** Lifetime of a token when the caller names none. */
  defaultDays: number;
  /** The longest lifetime a caller may ask for. */
  maxDays: number;
}

const DAY_MS = 86_400_000;

export function accountService(models: Models, tokens: TokenPolicy = { defaultDays: 90, maxDays: 365 }, clock: () => Date = () => new Date()) {
  const { User, ApiToken, Session, Vendor } = models;
  const buyers = createBuyerService({ models });

  async function resolveOrg(role: Role, org: string | undefined) {
    if (role !== 'vendor' && role !== 'buyer') {
      if (org) throw badRequest('只有供应商和采购方账号需要指定所属单位（org）。', [{ path: 'org', message: '该角色不需要所属单位' }]);
      return {};
    }
    if (!org) {
      throw badRequest(role === 'vendor' ? '供应商账号必须指定所属企业（企业编号或统一社会信用代码）。' : '采购方账号必须指定所属单位（单位编号或名称）。', [
        { path: 'org', message: '请填写所属单位' },
      ]);
    }
    if (role === 'vendor') {
      const vendor = isValidObjectId(org) ? await Vendor.findById(org).lean() : await Vendor.findOne({ creditCode: org.toUpperCase() }).lean();
      if (!vendor) throw badRequest(`找不到企业“${org}”。`, [{ path: 'org', message: '找不到该企业' }]);
      return { vendor: vendor._id };
    }
    const buyerOrg = isValidObjectId(org) ? await buyers.findById(org) : await buyers.findByName(org);
    if (!buyerOrg) throw badRequest(`找不到采购单位“${org}”。`, [{ path: 'org', message: '找不到该单位' }]);
    return { buyerOrg: buyerOrg._id };
  }

  async function endSessions(userId: string, exceptSessionId?: string) {
    await Session.deleteMany({ userId, ...(exceptSessionId ? { _id: { $ne: exceptSessionId } } : {}) });
  }

  /** New credentials end the old ones: every API token of the account stops working. */
  async function revokeTokens(userId: string) {
    await ApiToken.updateMany({ user: userId, revokedAt: null }, { $set: { revokedAt: clock() } });
  }

  return {
    async createUser(input: NewUser): Promise<CurrentUser> {
      const orgRef = await resolveOrg(input.role, input.org);
      if (await User.exists({ email: input.email })) throw conflict('该电子邮箱已被注册。');
      try {
        const user = await User.create({
          email: input.email,
          name: input.name,
          role: input.role,
          passwordHash: await hashPassword(input.password),
          ...orgRef,
        });
        return toCurrentUser(user);
      } catch (err) {
        if ((err as { code?: number }).code === 11000) throw conflict('该电子邮箱已被注册。');
        throw err;
      }
    },

    /** The user for these credentials, or null; a disabled account never logs in. */
    async verifyCredentials(email: string, password: string): Promise<CurrentUser | null> {
      const user = await User.findOne({ email: email.toLowerCase() });
      const ok = await verify(user?.passwordHash ?? DUMMY_HASH, password).catch(() => false);
      if (!user || !ok || user.disabled) return null;
      await User.updateOne({ _id: user._id }, { $set: { lastLoginAt: new Date() } });
      return toCurrentUser(user);
    },

    async changePassword(userId: string, currentPassword: string, newPassword: string, keepSessionId?: string) {
      const user = await User.findById(userId);
      if (!user) throw notFound('用户不存在。');
      if (!(await verify(user.passwordHash, currentPassword).catch(() => false))) {
        throw badRequest('当前密码不正确。', [{ path: 'currentPassword', message: '当前密码不正确' }]);
      }
      user.passwordHash = await hashPassword(newPassword);
      await user.save();
      await endSessions(userId, keepSessionId);
      await revokeTokens(userId);
    },

    async resetPassword(userId: string, password: string) {
      const res = await User.updateOne({ _id: userId }, { $set: { passwordHash: await hashPassword(password) } });
      if (res.matchedCount === 0) throw notFound('用户不存在。');
      await endSessions(userId);
      await revokeTokens(userId);
    },

    async updateUser(userId: string, changes: { name?: string; disabled?: boolean }, actingUserId: string) {
      if (changes.disabled && userId === actingUserId) throw badRequest('不能停用自己的账号。');
      const user = await User.findByIdAndUpdate(userId, { $set: changes }, { new: true }).lean();
      if (!user) throw notFound('用户不存在。');
      if (changes.disabled) {
        await endSessions(userId);
        await revokeTokens(userId);
      }
      return { ...toCurrentUser(user), disabled: user.disabled };
    },

    async listUsers() {
      const users = await User.find().sort({ role: 1, email: 1 }).populate<{ vendor: { name: string } | null }>('vendor', 'name')
        .populate<{ buyerOrg: { name: string } | null }>('buyerOrg', 'name').lean();
      return users.map((u) => ({
        id: String(u._id),
        email: u.email,
        name: u.name,
        role: u.role,
        disabled: u.disabled,
        orgName: u.vendor?.name ?? u.buyerOrg?.name ?? '',
        lastLoginAt: u.lastLoginAt,
      }));
    },

    tokenPolicy: tokens,

    /** A new token, valid for `days` (default and maximum from the configuration). */
    async createToken(userId: string, name: string, days: number = tokens.defaultDays) {
      if (!Number.isInteger(days) || days < 1 || days > tokens.maxDays) {
        throw badRequest(`有效期应为 1–${tokens.maxDays} 天。`, [{ path: 'days', message: `有效期应为 1–${tokens.maxDays} 天` }]);
      }
      const token = `gx_${randomBytes(32).toString('base64url')}`;
      const expiresAt = new Date(clock().getTime() + days * DAY_MS);
      const doc = await ApiToken.create({ user: userId, name, tokenHash: hashToken(token), expiresAt });
      return { id: String(doc._id), token, name, expiresAt: expiresAt.toISOString() };
    },

    /** The account's tokens still in force (not revoked, not expired), newest first. */
    async listTokens(userId: string) {
      const tokenList = await ApiToken.find({ user: userId, revokedAt: null, expiresAt: { $gt: clock() } }).sort({ createdAt: -1 }).lean();
      return tokenList.map((t) => ({
        id: String(t._id),
        name: t.name,
        createdAt: t.createdAt.toISOString(),
        expiresAt: t.expiresAt!.toISOString(),
        lastUsedAt: t.lastUsedAt ? t.lastUsedAt.toISOString() : null,
      }));
    },

    async revokeToken(userId: string, tokenId: string) {
      const res = await ApiToken.updateOne({ _id: tokenId, user: userId, revokedAt: null }, { $set: { revokedAt: clock() } });
      if (res.matchedCount === 0) throw notFound('令牌不存在或已撤销。');
    },
  };
}

export type AccountService = ReturnType<typeof accountService>;
