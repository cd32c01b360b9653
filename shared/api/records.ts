import { z } from 'zod';
import { method } from './define';
import { tableMethods } from './tables';
import { settingsPatchSchema, type Settings } from '../domain/settings';

const empty = z.object({}).strict();

export interface AppInfo {
  name: string;
  version: string;
  nodeId: string;
  nodeName: string;
  dataDir: string;
  platform: string;
  transport: 'ipc' | 'http';
  startedAt: string;
}

export const recordMethods = {
  'app.info': method(empty).returns<AppInfo>(),
  'settings.get': method(empty).returns<Settings>(),
  'settings.set': method(settingsPatchSchema).returns<Settings>(),
  ...tableMethods,
};
