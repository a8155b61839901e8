// Object storage: in-memory tables with a global resourceVersion, watch history and an
// optional write-ahead log (see wal.ts).
export { Store, type Change, type ChangeType, type ChangeListener, type Stored, type StoreOptions } from './store.js';
export { Wal, type WalOptions } from './wal.js';
export { openLogFile, type LogFile, type OpenLogFile } from './log-file.js';
