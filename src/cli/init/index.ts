export { scaffold, type ScaffoldOptions, type ScaffoldResult } from './scaffold.js';
