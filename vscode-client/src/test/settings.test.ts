import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type ConfigReader,
  DEFAULT_SETTINGS,
  resolveSettings,
  substituteVariables,
  toServerSettings,
} from "../settings";

/** A configuration reader over a flat object keyed like `lint.run`. */
function reader(values: Record<string, unknown>): ConfigReader {
  return { get: <T>(key: string) => values[key] as T | undefined };
}

const ctx = { workspaceFolder: "/ws", userHome: "/home/u", env: { VENV: "/opt/venv" } };

describe("substituteVariables", () => {
  it("expands workspace, home and environment variables", () => {
    assert.equal(
      substituteVariables("${workspaceFolder}/.venv/bin/python", ctx),
      "/ws/.venv/bin/python",
    );
    assert.equal(substituteVariables("${userHome}/py", ctx), "/home/u/py");
    assert.equal(substituteVariables("${env:VENV}/bin/python", ctx), "/opt/venv/bin/python");
    assert.equal(substituteVariables("~/bin/python3", ctx), "/home/u/bin/python3");
  });

  it("leaves unknown variables and inner tildes alone", () => {
    assert.equal(substituteVariables("${unknown}/x~y", ctx), "${unknown}/x~y");
    assert.equal(substituteVariables("${env:MISSING}python", ctx), "python");
  });

  it("keeps ${workspaceFolder} when there is no folder", () => {
    assert.equal(
      substituteVariables("${workspaceFolder}/p", { ...ctx, workspaceFolder: undefined }),
      "${workspaceFolder}/p",
    );
  });
});

describe("resolveSettings", () => {
  it("gives the defaults for an empty configuration", () => {
    const { settings, problems } = resolveSettings(reader({}), ctx);
    assert.deepEqual(settings, DEFAULT_SETTINGS);
    assert.deepEqual(problems, []);
  });

  it("reads every setting", () => {
    const { settings, problems } = resolveSettings(
      reader({
        interpreter: ["${workspaceFolder}/.venv/bin/python", "-X", "utf8"],
        importStrategy: "fromEnvironment",
        "lint.run": "onSave",
        select: ["PG", " PG302 ", ""],
        ignore: ["PG101"],
        rules: { PG302: "error", PG1: "off" },
        unsafeFixes: true,
        configurationPreference: "filesystemFirst",
        "postgres.version": 15,
        "live.databaseUrl": "postgresql://reader@${env:VENV}:5432/app",
        "live.redisUrl": " redis://cache:6379/0 ",
        "live.mongoUrl": "",
      }),
      ctx,
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(settings, {
      interpreter: ["/ws/.venv/bin/python", "-X", "utf8"],
      importStrategy: "fromEnvironment",
      lintRun: "onSave",
      select: ["PG", "PG302"],
      ignore: ["PG101"],
      rules: { PG302: "error", PG1: "off" },
      unsafeFixes: true,
      configurationPreference: "filesystemFirst",
      postgresVersion: 15,
      databaseUrl: "postgresql://reader@/opt/venv:5432/app",
      redisUrl: "redis://cache:6379/0",
      mongoUrl: null,
    });
  });

  it("accepts a single interpreter path given as a string", () => {
    const { settings } = resolveSettings(reader({ interpreter: " ~/py/bin/python " }), ctx);
    assert.deepEqual(settings.interpreter, ["/home/u/py/bin/python"]);
  });

  it("replaces invalid values by defaults and reports each one", () => {
    const { settings, problems } = resolveSettings(
      reader({
        interpreter: [1, 2],
        importStrategy: "fromSomewhere",
        "lint.run": 3,
        select: "PG",
        rules: { PG302: "loud", PG1: "info" },
        unsafeFixes: "yes",
        configurationPreference: null,
        "postgres.version": 15.5,
        "live.databaseUrl": { password: "s3cret" },
      }),
      ctx,
    );
    assert.deepEqual(settings, { ...DEFAULT_SETTINGS, rules: { PG1: "info" } });
    assert.equal(problems.length, 8);
    assert.match(problems.join("\n"), /dbsense\.live\.databaseUrl: expected a connection URL/);
    assert.doesNotMatch(problems.join("\n"), /s3cret/);
    assert.match(
      problems.join("\n"),
      /dbsense\.importStrategy: expected one of useBundled, fromEnvironment/,
    );
    assert.match(problems.join("\n"), /dbsense\.rules\.PG302/);
    assert.match(problems.join("\n"), /dbsense\.postgres\.version/);
  });

  it("rejects a rules value that is not an object", () => {
    const { settings, problems } = resolveSettings(reader({ rules: ["PG302"] }), ctx);
    assert.deepEqual(settings.rules, {});
    assert.equal(problems.length, 1);
  });
});

describe("toServerSettings", () => {
  it("nests settings the way the dbsense configuration section is shaped", () => {
    const { settings } = resolveSettings(
      reader({ "lint.run": "onSave", "postgres.version": 16, select: ["PG3"] }),
      ctx,
    );
    assert.deepEqual(toServerSettings(settings), {
      lint: { run: "onSave" },
      select: ["PG3"],
      ignore: [],
      rules: {},
      unsafeFixes: false,
      configurationPreference: "editorFirst",
      postgres: { version: 16 },
      live: { databaseUrl: null, redisUrl: null, mongoUrl: null },
    });
  });

  it("forwards the live connection URLs under `live`", () => {
    const { settings } = resolveSettings(
      reader({ "live.databaseUrl": "postgresql://reader@db/app", "live.mongoUrl": "mongodb://m" }),
      ctx,
    );
    assert.deepEqual(toServerSettings(settings).live, {
      databaseUrl: "postgresql://reader@db/app",
      redisUrl: null,
      mongoUrl: "mongodb://m",
    });
  });
});
