/** The pure conflict-resolution engine: strategies, field rules, suggestions and a person's choices. */
export * from './engine';
export * from './field-rules';
export * from './three-way';
export * from './suggestions';
export * from './choice';
export * from './lost-edits';
export { jsonEqual, canonicalJson, jsonTypeOf, type JsonRecord, type JsonType } from './json';
export * from './settings';
