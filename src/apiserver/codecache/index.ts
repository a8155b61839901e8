export { compileCacheDir, ownCacheFolder } from './store.js';
export { loadCachedScript, type CachedScript, type CacheState } from './script.js';
