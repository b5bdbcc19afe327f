/**
 * ConfigError: every user mistake in a config file, as one line
 * `<file>:<line>:<col>: <yaml path>: <detail>` (position and path left out where there is none,
 * e.g. `open <file>: no such file or directory`).
 */

/** Where in the file an error is, as far as the loader knows. */
export interface ConfigErrorPosition {
  /** 1-based, as editors count. */
  line?: number;
  column?: number;
  /** The YAML path, e.g. `scrape_configs[1].job_name`. */
  path?: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly line?: number;
  readonly column?: number;
  readonly path?: string;

  constructor(message: string, position: ConfigErrorPosition = {}) {
    // Callers print the message as a log field or on stderr: a value quoted into it (a key or a job
    // name holding a newline, say) must not break it into several lines.
    super(message.replace(/\r\n|[\r\n\u2028\u2029]/g, '\\n'));
    if (position.line !== undefined) this.line = position.line;
    if (position.column !== undefined) this.column = position.column;
    if (position.path !== undefined) this.path = position.path;
  }
}

/**
 * Go's wording for a file that cannot be read (`open x: no such file or directory`): the config
 * file itself, and the files a config names (certificates).
 */
export function fileError(file: string, err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOENT':
      return `open ${file}: no such file or directory`;
    case 'EACCES':
      return `open ${file}: permission denied`;
    case 'ENOTDIR':
      return `open ${file}: not a directory`;
    case 'EISDIR':
      return `read ${file}: is a directory`; // Go opens a directory fine; reading it fails
    default:
      return `open ${file}: ${err.message}`;
  }
}
