export { scaffold, templatesDir, pluralOf, type ScaffoldOptions, type ScaffoldResult } from './scaffold.js';
