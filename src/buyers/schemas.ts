/** The buyer organization's input shape (API, page forms, demand-list import) and its Chinese labels. */
import { z } from 'zod';
import { optionalText } from '../web/fields.js';
import { buyerLevels, buyerTypes } from './model.js';

export const buyerTypeNames: Record<string, string> = { enterprise: '企业', hospital: '医院', school: '学校', agency: '机关单位', other: '其他' };
export const buyerLevelNames: Record<string, string> = { province: '省级', city: '市级', district: '区级' };

const text = (max: number, missing = '应为文字') => z.string(missing).trim().max(max, `最多 ${max} 个字`);

export const BuyerInput = z.object({
  name: text(100, '请填写采购单位名称').min(2, '请填写采购单位名称'),
  type: z.enum(buyerTypes, { error: '单位类型应为 企业、医院、学校、机关单位 或 其他（enterprise/hospital/school/agency/other）' }),
  level: z.enum(buyerLevels, { error: '层级应为 省级、市级 或 区级（province/city/district）' }),
  province: text(20, '请填写省份').min(2, '请填写省份'),
  city: optionalText(20),
  district: optionalText(20),
});
export type BuyerInput = z.infer<typeof BuyerInput>;
