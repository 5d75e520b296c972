/** Input and output shapes of conversations (API and page forms). Messages are Chinese. */
import { z } from 'zod';
import { interestAnswers, threadSides } from './model.js';

export const objectIdString = z.string('编号应为字符串').regex(/^[0-9a-f]{24}$/i, '编号格式不正确');
export const ThreadParams = z.object({ id: objectIdString, vendorId: objectIdString });
export const AttachmentParams = ThreadParams.extend({ messageId: objectIdString });
export const DemandParams = z.object({ id: objectIdString });

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

/**
 * A message: JSON `{text}`, or multipart/form-data with `text` and an optional `file` (PDF or .xlsx by
 * content, ≤ 10 MB). The file arrives as a Buffer (the multipart scope reads it); JSON cannot carry one.
 */
export const MessageBody = z.looseObject({
  text: z.preprocess(blankToUndefined, z.string('消息应为文字').trim().max(2000, '消息最多 2000 字').optional()),
  file: z.unknown().optional().describe('multipart 时的附件（PDF 或 .xlsx，≤ 10 MB）'),
});

export const AnswerBody = z.object({
  answer: z.enum(['accept', 'decline'], '答复应为 accept（接受）或 decline（婉拒）'),
  reason: z.preprocess(blankToUndefined, z.string('原因应为文字').trim().max(500, '原因最多 500 字').optional()),
}).superRefine((v, ctx) => {
  if (v.answer === 'decline' && !v.reason) ctx.addIssue({ code: 'custom', path: ['reason'], message: '请填写婉拒的原因' });
});

export const AnswerForm = z.looseObject({
  answer: z.enum(['accept', 'decline'], '请选择接受或婉拒'),
  reason: z.preprocess(blankToUndefined, z.string('原因应为文字').trim().max(500, '原因最多 500 字').optional()),
}).superRefine((v, ctx) => {
  if (v.answer === 'decline' && !v.reason) ctx.addIssue({ code: 'custom', path: ['reason'], message: '请填写婉拒的原因' });
});

const Contact = z.object({ organization: z.string(), name: z.string().optional(), phone: z.string().optional(), email: z.string().optional() });

export const MessageOut = z.object({
  id: z.string(),
  side: z.enum(threadSides),
  sideName: z.string(),
  by: z.object({ id: z.string(), name: z.string(), role: z.string() }),
  text: z.string(),
  at: z.date(),
  attachment: z.object({ filename: z.string(), contentType: z.string(), size: z.number(), url: z.string() }).optional(),
});

export const ThreadSummaryOut = z.object({
  demandId: z.string(),
  demandTitle: z.string(),
  vendorId: z.string(),
  vendorName: z.string(),
  buyerOrgName: z.string(),
  followUpId: z.string().optional().describe('该对话所属的对接跟进记录'),
  followUpStatus: z.string().nullable(),
  followUpStatusName: z.string().optional(),
  answer: z.enum(interestAnswers).nullable().describe('采购方对供应商意向的答复：accepted 已接受、declined 已婉拒'),
  answerName: z.string().optional(),
  mutual: z.boolean().describe('双方是否已相互表达意向（此后双方可见对方联系人）'),
  awaitingAnswer: z.boolean().describe('供应商已表示有意向、采购方尚未答复'),
  messageCount: z.number(),
  lastMessageAt: z.date().optional(),
  url: z.string().describe('对话页面地址'),
});

export const ThreadOut = ThreadSummaryOut.extend({
  viewer: z.enum(['buyer', 'vendor', 'staff']),
  readOnly: z.boolean().describe('平台组织方只读'),
  open: z.boolean(),
  postRefusal: z.string().nullable().describe('当前不能发消息的原因；可以发时为 null'),
  canAnswer: z.boolean(),
  answerReason: z.string().optional(),
  contacts: z.object({ buyer: Contact.optional(), vendor: Contact.optional() }).describe('相互表达意向后才出现：采购方看到供应商的联系人，供应商看到采购方的联系人，组织方两者都看到'),
  messages: z.array(MessageOut),
});
