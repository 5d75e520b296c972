/** 统计报表: the organizers' and district leaders' view of the whole programme (issue 6). */
import type { FastifyPluginAsync } from 'fastify';
import reportPages from './pages.js';

const reports: FastifyPluginAsync = async (app) => {
  await app.register(reportPages);
};
export default reports;
