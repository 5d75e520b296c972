import { z } from 'zod';
import { roles } from './model.js';

export const Email = z.email('请输入有效的电子邮箱').max(200).transform((v) => v.toLowerCase());
export const Password = z
  .string()
  .min(8, '密码至少 8 位')
  .max(128, '密码最多 128 位')
  .regex(/[A-Za-z]/, '密码需包含字母')
  .regex(/\d/, '密码需包含数字');
export const ObjectIdParam = z.string().regex(/^[0-9a-f]{24}$/i, '编号格式不正确');

export const LoginBody = z.object({
  email: z.string({ error: '请输入电子邮箱' }).trim().min(1, '请输入电子邮箱').max(200).transform((v) => v.toLowerCase()),
  password: z.string({ error: '请输入密码' }).min(1, '请输入密码').max(200),
});

export const UserOut = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: z.enum(roles),
  vendorId: z.string().optional(),
  buyerOrgId: z.string().optional(),
  disabled: z.boolean().optional(),
});

export const CreateUserBody = z.object({
  email: Email,
  name: z.string().trim().min(1, '请输入姓名').max(60),
  password: Password,
  role: z.enum(roles, '角色必须是 admin、organizer、vendor、buyer 或 leader'),
  /** Vendor: the company's id or 统一社会信用代码; buyer: the organization's id or exact name. */
  org: z.string().trim().max(120).optional(),
});

export const UpdateUserBody = z.object({
  name: z.string().trim().min(1).max(60).optional(),
  disabled: z.boolean().optional(),
});

export const ChangePasswordBody = z.object({
  currentPassword: z.string().min(1, '请输入当前密码').max(200),
  newPassword: Password,
});

export const ResetPasswordBody = z.object({ password: Password });

export const CreateTokenBody = z.object({
  name: z.string().trim().min(1).max(60).default('API 令牌'),
  /** Lifetime in days; default API_TOKEN_DAYS, at most API_TOKEN_MAX_DAYS (checked by the service). */
  days: z.coerce.number('有效期应为天数').int('有效期应为整数天').min(1, '有效期至少 1 天').max(3650, '有效期过长').optional(),
});

export const TokenOut = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(), expiresAt: z.string(),
  lastUsedAt: z.string().nullable(),
});
