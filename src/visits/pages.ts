/** Pages of 企业调研 / 现场考察 (filled in below). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

const visitPages: FastifyPluginAsyncZod = async () => {};

export default visitPages;
