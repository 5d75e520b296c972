/**
 * The worker thread that computes search documents' text keys (jieba segments, pinyin) for
 * document-builder.ts. It loads text-keys.ts alone: jieba, pinyin and the vocabulary, not the app.
 */
import { parentPort } from 'node:worker_threads';
import { textKeys, type TextInput } from './text-keys.js';

export interface KeysRequest { id: number; inputs: TextInput[] }

parentPort?.on('message', ({ id, inputs }: KeysRequest) => {
  try {
    parentPort!.postMessage({ id, keys: inputs.map(textKeys) });
  } catch (err) {
    parentPort!.postMessage({ id, error: String((err as Error).message ?? err) });
  }
});
