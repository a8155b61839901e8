/**
 * Structured logging on pino: JSON lines by default, a readable one-line format
 * for terminals, child loggers carrying controller / object fields, and secret
 * redaction applied to every message, merge object, interpolation argument and
 * child binding (see redact.ts).
 */
import { createRequire } from 'node:module';
import type { pino as Pino, Logger, LevelWithSilent } from 'pino';
import { redactSecrets, redactString } from './redact.js';

export type { Logger } from 'pino';

// required, not imported: Node 20 scans an imported CommonJS package for its export names (~6 ms a start)
const { pino } = createRequire(import.meta.url)('pino') as typeof import('pino');

export const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Something lines can be written to (a stream, or an in-memory sink in tests). */
export interface LogDestination {
  write(line: string): unknown;
}

export interface LoggerOptions {
  /**
   * Minimum level: fatal|error|warn|info|debug|trace|silent.
   * Default: env `KUBELOOP_LOG_LEVEL`, else `info`.
   */
  level?: string;
  /** Logger name (the `name` field of every line). Default: none. */
  name?: string;
  /**
   * Human-readable single lines (`12:00:00.000 INFO  name: msg key=value`) instead of
   * JSON. Default: env `KUBELOOP_LOG_FORMAT=pretty`, else false (JSON).
   */
  pretty?: boolean;
  /** Where lines go. Default: standard output. */
  destination?: LogDestination;
  /** Fields added to every line. Default: none (no pid/hostname). */
  base?: Record<string, unknown>;
  /** Extra keys to redact besides the built-in credential keys. Default: none. */
  redactKeys?: string[];
}

function resolveLevel(level: string | undefined): LevelWithSilent {
  const l = (level ?? process.env.KUBELOOP_LOG_LEVEL ?? 'info').trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(l)) {
    throw new Error(`invalid log level "${l}": use one of ${LOG_LEVELS.join(', ')}`);
  }
  return l as LevelWithSilent;
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** Turns pino's JSON lines into `HH:MM:SS.mmm LEVEL name: msg k=v ...`. */
export function prettyDestination(out: LogDestination = process.stdout): LogDestination {
  return {
    write(line: string) {
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return out.write(line);
      }
      const { level, time, name, msg, ...rest } = rec;
      const t = typeof time === 'number' ? new Date(time).toISOString().slice(11, 23) : '';
      const lvl = (LEVEL_NAMES[level as number] ?? String(level)).padEnd(5);
      const fields = Object.entries(rest)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? (/\s/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)}`)
        .join(' ');
      return out.write(`${t} ${lvl} ${name ? `${name}: ` : ''}${msg ?? ''}${fields ? ' ' + fields : ''}\n`);
    },
  };
}

/** Creates the root logger. All loggers derived from it (`child`) redact secrets too. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = resolveLevel(options.level);
  const pretty = options.pretty ?? process.env.KUBELOOP_LOG_FORMAT === 'pretty';
  const extraKeys = options.redactKeys;
  const redactOpts = extraKeys ? { extraKeys } : {};
  const dest = options.destination ?? process.stdout;
  const logger = pino(
    {
      level,
      // `base` replaces pino's pid/hostname defaults; the name lives there too.
      base: { ...(options.base ?? {}), ...(options.name ? { name: options.name } : {}) },
      timestamp: pino.stdTimeFunctions.epochTime,
      // Deep redaction of everything passed to a log call (pino's path-based
      // `redact` cannot match a key at any depth, so it is not used).
      hooks: {
        logMethod(args, method) {
          for (let i = 0; i < args.length; i++) {
            const a = args[i];
            if (typeof a === 'string') args[i] = redactString(a);
            else if (a && typeof a === 'object') args[i] = redactSecrets(a, redactOpts);
          }
          return method.apply(this, args as Parameters<typeof method>);
        },
      },
    },
    pretty ? prettyDestination(dest) : (dest as Pino.DestinationStream),
  );
  // Child bindings bypass the log hook; redact them when the child is made. Set on
  // the root, this override is inherited by every descendant (children are
  // prototype-linked to their parent).
  const rootChild = logger.child as unknown as (this: Logger, bindings: Pino.Bindings, options?: Pino.ChildLoggerOptions) => Logger;
  logger.child = function child(this: Logger, bindings: Pino.Bindings, childOptions?: Pino.ChildLoggerOptions) {
    return rootChild.call(this, redactSecrets(bindings, redactOpts), childOptions);
  } as unknown as typeof logger.child;
  return logger;
}

/** Fields controller-runtime puts on a reconcile's log lines. */
export interface ReconcileLogFields {
  controller: string;
  controllerGroup?: string;
  controllerKind?: string;
  namespace?: string;
  name?: string;
  reconcileID?: string;
}

/** A child logger for one reconcile of one object (fields as controller-runtime logs them). */
export function reconcileLogger(base: Logger, fields: ReconcileLogFields): Logger {
  const bindings: Record<string, unknown> = { controller: fields.controller };
  if (fields.controllerGroup !== undefined) bindings.controllerGroup = fields.controllerGroup;
  if (fields.controllerKind) {
    bindings.controllerKind = fields.controllerKind;
    bindings[fields.controllerKind] = fields.namespace ? { name: fields.name, namespace: fields.namespace } : { name: fields.name };
  }
  if (fields.namespace) bindings.namespace = fields.namespace;
  if (fields.name) bindings.name = fields.name;
  if (fields.reconcileID) bindings.reconcileID = fields.reconcileID;
  return base.child(bindings);
}

/** A logger that prints nothing (the default where no logger is injected). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
