export { EdgeStore } from './edge-store';
export { SCHEMA_VERSION } from './schema';
export { tableSpecs } from './tables';
export type * from './types';
