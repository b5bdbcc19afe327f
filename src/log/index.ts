/**
 * src/log: the one pino logger of the process, in Prometheus 3's shapes (log/slog):
 *   logfmt (default): time=2026-11-25T00:40:00.123Z level=INFO source=main msg="Starting Prometheus Server" mode=server
 *   json:             {"time":"…","level":"INFO","source":"main","msg":"…","mode":"server"}
 * Both go to stderr synchronously (no transport worker): lines must never be lost at exit.
 * A user's mistake is logged with `err` as a one-line string, never a stack trace.
 */
import { writeSync } from 'node:fs';
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger } from 'pino';
export type LogFormat = 'logfmt' | 'json';
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Errors are logged by their message: what a user needs, on one line. */
function errToString(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\s*\n\s*/g, ' ');
}

/** Where a line written through an owned logger is also reported: its owner, level and message. */
export type LogTap = (owner: string, level: string, msg: string) => void;

const OWNER = Symbol('miniprom.log.owner');
type Owned = { [OWNER]?: string };

/**
 * A logger whose lines, and those of every child made from it, are reported to the tap as
 * `owner`'s (the lifecycle page shows each actor's lines). What it writes is unchanged: the owner
 * is no field. Children inherit it because pino makes a child with Object.create(parent).
 */
export function ownedLogger(logger: Logger, owner: string): Logger {
  const child = logger.child({});
  (child as unknown as Owned)[OWNER] = owner;
  return child;
}

/** The message of a log call's arguments: `(msg)` or `(fields, msg)`. */
function messageOf(args: unknown[]): string {
  const [first, second] = args;
  if (typeof first === 'string') return first;
  return typeof second === 'string' ? second : '';
}

export function createLogger(opts: { level: LogLevel; format: LogFormat; fd?: number; tap?: LogTap }): Logger {
  const fd = opts.fd ?? 2;
  const { tap } = opts;
  const options: LoggerOptions = {
    level: opts.level,
    // Only lines at an enabled level reach this hook: the tap sees exactly what is written.
    ...(tap && {
      hooks: {
        logMethod(args, method, level) {
          const owner = (this as unknown as Owned)[OWNER];
          if (owner !== undefined)
            tap(owner, this.levels.labels[level]?.toUpperCase() ?? String(level), messageOf(args));
          method.apply(this, args);
        },
      },
    }),
    base: null,
    messageKey: 'msg',
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
    formatters: { level: (label) => ({ level: label.toUpperCase() }) },
    serializers: { err: errToString },
  };
  const destination: DestinationStream =
    opts.format === 'json' ? pino.destination({ fd, sync: true }) : logfmtDestination(fd);
  return pino(options, destination);
}

const FIRST_KEYS = ['time', 'level', 'source', 'msg'] as const;

/**
 * Re-encodes pino's JSON lines as logfmt. Parsing each line again costs a little, but logging is
 * not on a hot path here (a few lines per reload), and it keeps pino's own serialisation intact.
 */
function logfmtDestination(fd: number): DestinationStream {
  return {
    write(line: string) {
      const record = JSON.parse(line) as Record<string, unknown>;
      const parts: string[] = [];
      for (const key of FIRST_KEYS) if (key in record) parts.push(`${key}=${logfmtValue(record[key])}`);
      for (const [key, value] of Object.entries(record)) {
        if (!(FIRST_KEYS as readonly string[]).includes(key)) parts.push(`${key}=${logfmtValue(value)}`);
      }
      writeSync(fd, `${parts.join(' ')}\n`);
    },
  };
}

function logfmtValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text === '' || /[\s="\\]/.test(text) ? JSON.stringify(text) : text;
}
