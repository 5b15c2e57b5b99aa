/**
 * Settings resolution: reads the `dbsense.*` configuration through a minimal reader interface
 * (so it runs without VS Code in unit tests), validates every value, and expands variables.
 * Invalid values fall back to their defaults and are reported, never thrown.
 */

export type ImportStrategy = "useBundled" | "fromEnvironment";
export type LintRun = "onType" | "onSave";
export type ConfigurationPreference = "editorFirst" | "filesystemFirst" | "editorOnly";
export type RuleSeverity = "error" | "warning" | "info" | "off";

export interface ExtensionSettings {
  interpreter: string[];
  importStrategy: ImportStrategy;
  lintRun: LintRun;
  select: string[];
  ignore: string[];
  rules: Record<string, RuleSeverity>;
  unsafeFixes: boolean;
  configurationPreference: ConfigurationPreference;
  postgresVersion: number | null;
  /** Live connections; `null` means "not set" (the server then reads DBSENSE_DATABASE_URL). */
  databaseUrl: string | null;
  redisUrl: string | null;
  mongoUrl: string | null;
}

/** The settings object the server receives (initializationOptions and workspace/configuration). */
export interface ServerSettings {
  lint: { run: LintRun };
  select: string[];
  ignore: string[];
  rules: Record<string, RuleSeverity>;
  unsafeFixes: boolean;
  configurationPreference: ConfigurationPreference;
  postgres: { version: number | null };
  live: { databaseUrl: string | null; redisUrl: string | null; mongoUrl: string | null };
}

/** The subset of `vscode.WorkspaceConfiguration` this module needs. */
export interface ConfigReader {
  get<T>(key: string): T | undefined;
}

/** Values that `${...}` variables and a leading `~` expand to. */
export interface SubstitutionContext {
  workspaceFolder?: string;
  userHome: string;
  env: Record<string, string | undefined>;
}

export interface ResolvedSettings {
  settings: ExtensionSettings;
  /** One human-readable line per invalid value that was replaced by its default. */
  problems: string[];
}

export const DEFAULT_SETTINGS: Readonly<ExtensionSettings> = Object.freeze({
  interpreter: [],
  importStrategy: "useBundled",
  lintRun: "onType",
  select: [],
  ignore: [],
  rules: {},
  unsafeFixes: false,
  configurationPreference: "editorFirst",
  postgresVersion: null,
  databaseUrl: null,
  redisUrl: null,
  mongoUrl: null,
});

/** Settings whose change needs a new server process (the rest are sent to the running one). */
export const RESTART_SETTINGS = ["dbsense.interpreter", "dbsense.importStrategy"] as const;

const IMPORT_STRATEGIES: readonly ImportStrategy[] = ["useBundled", "fromEnvironment"];
const LINT_RUNS: readonly LintRun[] = ["onType", "onSave"];
const PREFERENCES: readonly ConfigurationPreference[] = [
  "editorFirst",
  "filesystemFirst",
  "editorOnly",
];
const SEVERITIES: readonly RuleSeverity[] = ["error", "warning", "info", "off"];
const MIN_POSTGRES = 9;
const MAX_POSTGRES = 99;

/** Expand `${workspaceFolder}`, `${userHome}`, `${env:NAME}` and a leading `~`. */
export function substituteVariables(value: string, ctx: SubstitutionContext): string {
  let out = value.replace(
    /\$\{(workspaceFolder|userHome|env:([A-Za-z_][A-Za-z0-9_]*))\}/g,
    (match, name: string, envName?: string) => {
      if (envName !== undefined) {
        return ctx.env[envName] ?? "";
      }
      if (name === "userHome") {
        return ctx.userHome;
      }
      return ctx.workspaceFolder ?? match;
    },
  );
  if (out === "~" || out.startsWith("~/")) {
    out = ctx.userHome + out.slice(1);
  }
  return out;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

function oneOf<T extends string>(
  key: string,
  value: unknown,
  allowed: readonly T[],
  fallback: T,
  problems: string[],
): T {
  if (value === undefined || value === null) {
    return fallback;
  }
  if (typeof value === "string" && (allowed as readonly string[]).includes(value)) {
    return value as T;
  }
  problems.push(`${key}: expected one of ${allowed.join(", ")}; using "${fallback}"`);
  return fallback;
}

function stringList(key: string, value: unknown, problems: string[]): string[] {
  if (value === undefined || value === null) {
    return [];
  }
  if (isStringArray(value)) {
    return value.map((item) => item.trim()).filter((item) => item.length > 0);
  }
  problems.push(`${key}: expected a list of strings; ignoring it`);
  return [];
}

function ruleSeverities(value: unknown, problems: string[]): Record<string, RuleSeverity> {
  if (value === undefined || value === null) {
    return {};
  }
  if (typeof value !== "object" || Array.isArray(value)) {
    problems.push(
      "dbsense.rules: expected an object mapping rule selectors to severities; ignoring it",
    );
    return {};
  }
  const rules: Record<string, RuleSeverity> = {};
  for (const [selector, severity] of Object.entries(value as Record<string, unknown>)) {
    if (typeof severity === "string" && (SEVERITIES as readonly string[]).includes(severity)) {
      rules[selector] = severity as RuleSeverity;
    } else {
      problems.push(
        `dbsense.rules.${selector}: expected one of ${SEVERITIES.join(", ")}; ignoring it`,
      );
    }
  }
  return rules;
}

function postgresVersion(value: unknown, problems: string[]): number | null {
  if (value === undefined || value === null) {
    return null;
  }
  if (
    typeof value === "number" &&
    Number.isInteger(value) &&
    value >= MIN_POSTGRES &&
    value <= MAX_POSTGRES
  ) {
    return value;
  }
  problems.push(
    `dbsense.postgres.version: expected a major version such as 15 (${MIN_POSTGRES}-${MAX_POSTGRES}); using the configured default`,
  );
  return null;
}

/** A connection URL, with variables expanded; the value itself never appears in a problem. */
function connectionUrl(
  key: string,
  value: unknown,
  ctx: SubstitutionContext,
  problems: string[],
): string | null {
  if (value === undefined || value === null) {
    return null;
  }
  if (typeof value !== "string") {
    problems.push(`${key}: expected a connection URL string; ignoring it`);
    return null;
  }
  const url = substituteVariables(value.trim(), ctx);
  return url.length > 0 ? url : null;
}

/** Read and validate every `dbsense.*` setting; `config` is the `dbsense` section. */
export function resolveSettings(config: ConfigReader, ctx: SubstitutionContext): ResolvedSettings {
  const problems: string[] = [];
  const rawInterpreter = config.get<unknown>("interpreter");
  let interpreter: string[] = [];
  if (typeof rawInterpreter === "string") {
    interpreter = rawInterpreter.trim() ? [rawInterpreter.trim()] : [];
  } else {
    interpreter = stringList("dbsense.interpreter", rawInterpreter, problems);
  }
  interpreter = interpreter.map((part) => substituteVariables(part, ctx));

  const unsafeFixes = config.get<unknown>("unsafeFixes");
  if (unsafeFixes !== undefined && unsafeFixes !== null && typeof unsafeFixes !== "boolean") {
    problems.push("dbsense.unsafeFixes: expected true or false; using false");
  }

  const settings: ExtensionSettings = {
    interpreter,
    importStrategy: oneOf(
      "dbsense.importStrategy",
      config.get<unknown>("importStrategy"),
      IMPORT_STRATEGIES,
      DEFAULT_SETTINGS.importStrategy,
      problems,
    ),
    lintRun: oneOf(
      "dbsense.lint.run",
      config.get<unknown>("lint.run"),
      LINT_RUNS,
      DEFAULT_SETTINGS.lintRun,
      problems,
    ),
    select: stringList("dbsense.select", config.get<unknown>("select"), problems),
    ignore: stringList("dbsense.ignore", config.get<unknown>("ignore"), problems),
    rules: ruleSeverities(config.get<unknown>("rules"), problems),
    unsafeFixes: unsafeFixes === true,
    configurationPreference: oneOf(
      "dbsense.configurationPreference",
      config.get<unknown>("configurationPreference"),
      PREFERENCES,
      DEFAULT_SETTINGS.configurationPreference,
      problems,
    ),
    postgresVersion: postgresVersion(config.get<unknown>("postgres.version"), problems),
    databaseUrl: connectionUrl(
      "dbsense.live.databaseUrl",
      config.get<unknown>("live.databaseUrl"),
      ctx,
      problems,
    ),
    redisUrl: connectionUrl(
      "dbsense.live.redisUrl",
      config.get<unknown>("live.redisUrl"),
      ctx,
      problems,
    ),
    mongoUrl: connectionUrl(
      "dbsense.live.mongoUrl",
      config.get<unknown>("live.mongoUrl"),
      ctx,
      problems,
    ),
  };
  return { settings, problems };
}

/** The payload sent to the server; empty lists and `null` mean "not set in the editor". */
export function toServerSettings(settings: ExtensionSettings): ServerSettings {
  return {
    lint: { run: settings.lintRun },
    select: [...settings.select],
    ignore: [...settings.ignore],
    rules: { ...settings.rules },
    unsafeFixes: settings.unsafeFixes,
    configurationPreference: settings.configurationPreference,
    postgres: { version: settings.postgresVersion },
    live: {
      databaseUrl: settings.databaseUrl,
      redisUrl: settings.redisUrl,
      mongoUrl: settings.mongoUrl,
    },
  };
}
