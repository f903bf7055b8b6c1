// One line per event that matters, as text or JSON. Fields are key=value pairs so a plain log
// stays greppable; JSON lines carry the same keys.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

export interface LoggerOptions {
  level: LogLevel;
  json: boolean;
  /** Where lines go; stdout by default. */
  write?: (line: string) => void;
}

function plainValue(value: unknown): string {
  const text = String(value);
  return /^[^\s"=]*$/.test(text) && text !== '' ? text : JSON.stringify(text);
}

export function formatLine(
  level: LogLevel,
  event: string,
  fields: LogFields,
  json: boolean,
): string {
  const time = new Date().toISOString();
  if (json) return JSON.stringify({ time, level, event, ...fields });
  const pairs = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${plainValue(v)}`);
  return [time, level.padEnd(5), event, ...pairs].join(' ');
}

export function createLogger(options: LoggerOptions): Logger {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const min = RANK[options.level];
  const at =
    (level: LogLevel) =>
    (event: string, fields: LogFields = {}) => {
      if (RANK[level] >= min) write(formatLine(level, event, fields, options.json));
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
