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

export function createLogger(opts: { level: LogLevel; format: LogFormat; fd?: number }): Logger {
  const fd = opts.fd ?? 2;
  const options: LoggerOptions = {
    level: opts.level,
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
