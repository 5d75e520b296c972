/**
 * The field's vocabulary: words buyers use interchangeably (synonyms) and terms that must stay whole when
 * segmented (dictionary). Drawn from seeds/taxonomy.json, the sample products and the policy texts.
 */

/** Each group is a set of interchangeable terms: a search for any finds the others. */
export const synonymGroups: readonly (readonly string[])[] = [
  ['摄像机', '摄像头', '网络摄像机', '监控摄像机', 'IPC', '监控摄像头'],
  ['球机', '球形摄像机', '球型摄像机'],
  ['NVR', '网络硬盘录像机', '硬盘录像机', '录像机'],
  ['机床', '工业母机', '数控机床'],
  ['加工中心', '数控加工中心'],
  ['课桌椅', '桌椅', '学生课桌椅'],
  ['午休床', '午休躺睡床', '躺睡设备'],
  ['电梯', '加装电梯', '垂直电梯', '住宅电梯'],
  ['扶梯', '自动扶梯'],
  ['空调', '中央空调', '空调机组', '多联机'],
  ['锅炉', '燃气锅炉'],
  ['污水处理', '污水处理设备'],
  ['充电桩', '充电设施', '充电柜'],
  ['医用', '医疗'],
  ['CT', '计算机断层扫描'],
  ['MRI', '磁共振', '核磁共振'],
  ['DR', '数字化X射线摄影', 'X光机'],
  ['B超', '彩超', '超声诊断仪'],
  ['PLC', '可编程逻辑控制器'],
  ['DCS', '分布式控制系统'],
  ['SCADA', '数据采集与监视控制系统'],
  ['AGV', '搬运机器人', '自动导向搬运机器人'],
  ['MES', '制造执行系统'],
  ['门禁', '门禁一体机', '出入口控制'],
  ['闸机', '人行通道闸', '通道闸'],
  ['智能门锁', '指纹锁', '电子门锁'],
  ['可视对讲', '楼宇对讲'],
  ['储能', '储能系统', '储能电站'],
  ['变压器', '配电变压器'],
  ['电表', '电能表', '智能电表'],
  ['叉车', '电动叉车'],
  ['环卫车', '环卫作业车', '清运车'],
  ['热成像', '红外热成像'],
  ['人脸识别', '人脸比对'],
  ['交互式智能黑板', '智慧黑板', '电子白板'],
  ['3D打印机', '三维打印机'],
  ['PCR', '核酸检测仪', '荧光定量PCR仪'],
  ['光伏', '太阳能'],
  ['机器人', '工业机器人'],
  ['AR', '增强现实'],
];

/** Meilisearch's synonyms setting: every term of a group maps to all others. */
export function synonymMap(groups: readonly (readonly string[])[] = synonymGroups): Record<string, string[]> {
  const map: Record<string, Set<string>> = {};
  for (const group of groups) {
    for (const term of group) {
      const set = (map[term] ??= new Set());
      for (const other of group) if (other !== term) set.add(other);
    }
  }
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, [...v].sort()]));
}

/**
 * Core terms that must stay whole in Meilisearch's own segmentation (its `dictionary` setting), so that
 * 摄像机 is one token inside 网络摄像机 and a search for it matches. Kept short on purpose: a long
 * compound here would hide its sub-words from Meilisearch.
 */
export const meiliDictionary: readonly string[] = [
  '摄像机', '摄像头', '录像机', '热成像', '工业母机', '机床', '加工中心', '车床', '折弯机', '课桌椅',
  '午休床', '电梯', '扶梯', '空调', '锅炉', '燃烧器', '充电桩', '充电柜', '变压器', '电能表', '磁共振',
  '超声', '门禁', '闸机', '对讲', '门锁', '人脸识别', '布控球', '机器人', '叉车', '装载机', '挖掘机',
  '洗扫车', '换热器', '精馏塔', '储能', '云存储', '数字孪生',
];

/**
 * Extra words for jieba (which builds the search-mode `segments` field): compounds it does not know, so
 * cutForSearch yields both the compound and its parts.
 */
export const jiebaWords: readonly string[] = [
  ...meiliDictionary,
  '网络摄像机', '球形摄像机', '筒型摄像机', '半球摄像机', '硬盘录像机', '网络硬盘录像机', '数控机床', '五轴联动',
  '数控车床', '加装电梯', '自动扶梯', '中央空调', '空调机组', '燃气锅炉', '低氮燃烧器', '储能柜', '储能系统',
  '超声诊断仪', '生化分析仪', '生物安全柜', '核酸检测', '直线加速器', '门禁一体机', '可视对讲', '智能门锁',
  '指纹锁', '无负压供水', '二次供水', '水质自动站', '空气自动站', '智能黑板', '录播系统', '边缘计算', '反应釜',
  '课桌', '午休课桌椅', '单兵布控球', '人行通道闸', '热成像摄像机', '配电变压器', '智能电能表',
];
