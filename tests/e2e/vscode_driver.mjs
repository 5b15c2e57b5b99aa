// Drives VS Code (code-server) in Chromium through the dbsense extension, the way a user would.
// Usage: node vscode_driver.mjs <config.json>
// The config names the URL, the files and the expectations; every step waits on selectors and
// saves a screenshot. The result (what each step saw) is printed as one JSON line on stdout;
// the exit code is non-zero when a step failed.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { chromium } from "playwright-core";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const TIMEOUT = config.timeoutMs ?? 60_000;
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-quic",
  "--disable-sync",
];
const SQUIGGLE = '.view-overlays [class*="squiggly-"]';

const result = { steps: [] };
let shots = 0;

const browser = await chromium.launch({
  executablePath: config.chromium,
  args: CHROMIUM_FLAGS,
  timeout: TIMEOUT,
});
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
page.setDefaultTimeout(TIMEOUT);

async function screenshot(name) {
  shots += 1;
  await page.screenshot({
    path: join(
      config.artifacts,
      `${String(shots).padStart(2, "0")}-${name}.png`,
    ),
  });
}

/** Run a named step, record what it returns, and screenshot the result (also on failure). */
async function step(name, action) {
  const started = Date.now();
  try {
    const value = await action();
    await screenshot(name);
    result.steps.push({ name, ms: Date.now() - started });
    if (value !== undefined) {
      result[name] = value;
    }
  } catch (error) {
    await screenshot(`${name}-failed`).catch(() => undefined);
    result.failedStep = name;
    throw error;
  }
}

const activeEditor = () =>
  page
    .locator(".editor-group-container.active .editor-instance .monaco-editor")
    .first();

/** Type into Quick Open / the command palette and accept the row that shows `rowText`. */
async function quickPick(shortcut, text, rowText) {
  await page.keyboard.press(shortcut);
  const input = page.locator(".quick-input-widget .quick-input-box input");
  await input.waitFor();
  await input.fill(text);
  // Enter accepts the focused row: wait until the filtered list has focused the wanted one.
  await page
    .locator(".quick-input-list .monaco-list-row.focused", { hasText: rowText })
    .waitFor();
  await page.keyboard.press("Enter");
  await page.locator(".quick-input-widget").waitFor({ state: "hidden" });
}

async function openFile(relativePath) {
  const name = basename(relativePath);
  await quickPick("Control+P", relativePath, name);
  await page
    .locator(".tabs-container .tab.active", { hasText: name })
    .waitFor();
  await activeEditor().locator(".view-lines").waitFor();
}

async function runCommand(title) {
  await quickPick("F1", `>${title}`, title);
}

/** The Problems panel rows, opened if needed. */
async function problemRows(mustContain) {
  const panel = page.locator(".markers-panel");
  if (!(await panel.isVisible())) {
    await page.keyboard.press("Control+Shift+M");
  }
  await panel.waitFor();
  if (mustContain) {
    await panel
      .locator(".monaco-list-row", { hasText: mustContain })
      .first()
      .waitFor();
  }
  return panel.locator(".monaco-list-row").allInnerTexts();
}

/** Open a file and wait until its squiggle and every expected code are shown. */
async function findingsIn(relativePath, codes) {
  await openFile(relativePath);
  await activeEditor().locator(SQUIGGLE).first().waitFor();
  let rows = [];
  for (const code of codes) {
    rows = await problemRows(code);
  }
  return {
    squiggles: await activeEditor().locator(SQUIGGLE).count(),
    problems: rows.map((row) => row.replace(/\s+/g, " ").trim()),
  };
}

/** Put the cursor at a 1-based line and column with "Go to Line/Column" (Ctrl+G). */
async function goTo(line, column) {
  await page.keyboard.press("Control+G");
  const input = page.locator(".quick-input-widget .quick-input-box input");
  await input.waitFor();
  await input.fill(`:${line}:${column}`);
  await page.keyboard.press("Enter");
  await page
    .locator(".statusbar-item", { hasText: `Ln ${line}, Col ${column}` })
    .waitFor();
}

/** Squiggles shown in the active editor. */
const squiggleCount = () => activeEditor().locator(SQUIGGLE).count();

async function main() {
  await step("workbench", async () => {
    await page.goto(config.url);
    await page.locator(".monaco-workbench .part.statusbar").waitFor();
    await page
      .locator(".explorer-folders-view, .explorer-viewlet")
      .first()
      .waitFor();
  });

  await step("sql-findings", () =>
    findingsIn(config.sql.file, config.sql.codes),
  );

  await step("status-bar", async () => {
    const item = page
      .locator(".statusbar-item", { hasText: /dbsense \d+/ })
      .first();
    await item.waitFor();
    return (await item.innerText()).trim();
  });

  const target = config.sql.target;

  await step("hover", async () => {
    await goTo(target.line, target.column);
    // "Show or Focus Hover" at the cursor.
    await page.keyboard.press("Control+K");
    await page.keyboard.press("Control+I");
    const hover = page
      .locator(".monaco-hover:visible", { hasText: config.sql.hoverText })
      .first();
    await hover.waitFor();
    return (await hover.innerText()).trim();
  });

  await step("rule-documentation", async () => {
    await page.keyboard.press("Escape");
    await goTo(target.line, target.column);
    await runCommand("dbsense: Show Rule Documentation");
    await page
      .locator(".tabs-container .tab.active", { hasText: `${target.code}.md` })
      .waitFor();
    const text = activeEditor().locator(".view-lines", {
      hasText: config.sql.hoverText,
    });
    await text.waitFor();
    const shown = (await text.innerText()).replace(/\s+/g, " ");
    await screenshot("rule-page-open");
    await page.keyboard.press("Control+W");
    await page
      .locator(".tabs-container .tab.active", {
        hasText: basename(config.sql.file),
      })
      .waitFor();
    return shown;
  });

  await step("schema-catalog", async () => {
    await runCommand("dbsense: Show Schema Catalog");
    await page
      .locator(".tabs-container .tab.active", { hasText: "Schema Catalog.md" })
      .waitFor();
    const text = activeEditor().locator(".view-lines", {
      hasText: config.catalogText,
    });
    await text.waitFor();
    const shown = (await text.innerText()).replace(/\s+/g, " ");
    await screenshot("catalog-open");
    await page.keyboard.press("Control+W");
    await page
      .locator(".tabs-container .tab.active", {
        hasText: basename(config.sql.file),
      })
      .waitFor();
    return shown;
  });

  await step("quick-fix", async () => {
    const before = await squiggleCount();
    await goTo(target.line, target.column);
    await page.keyboard.press("Control+.");
    const rows = page.locator(".action-widget .monaco-list-row.action");
    await rows.filter({ hasText: config.sql.fixTitle }).first().waitFor();
    // Move the keyboard focus to the fix, as a user would with the arrow keys, then apply it.
    const focused = page.locator(
      ".action-widget .monaco-list-row.action.focused",
    );
    for (let moves = await rows.count(); moves > 0; moves--) {
      const current =
        (await focused.count()) > 0 ? await focused.first().innerText() : "";
      if (current.includes(config.sql.fixTitle)) {
        break;
      }
      await page.keyboard.press("ArrowDown");
    }
    await focused.filter({ hasText: config.sql.fixTitle }).waitFor();
    await page.keyboard.press("Enter");
    await activeEditor()
      .locator(".view-lines", { hasText: config.sql.fixedText })
      .waitFor();
    // The finding leaves the Problems panel and its squiggle leaves the editor.
    // (Other files may have findings with the same code: match the position too.)
    const problem = new RegExp(
      `${target.code}.*\\[Ln ${target.line}, Col ${target.column}\\]`,
    );
    await page
      .locator(".markers-panel .monaco-list-row", { hasText: problem })
      .first()
      .waitFor({ state: "detached" });
    await page.waitForFunction(
      ([selector, count]) => document.querySelectorAll(selector).length < count,
      [
        `.editor-group-container.active .editor-instance .monaco-editor ${SQUIGGLE}`,
        before,
      ],
    );
    await page.keyboard.press("Control+S");
    await page
      .locator(".tabs-container .tab.active.dirty")
      .waitFor({ state: "detached" });
    const text = await activeEditor().locator(".view-lines").innerText();
    return {
      before,
      after: await squiggleCount(),
      text: text.replace(/\u00a0/g, " "),
    };
  });

  if (config.python) {
    await step("python-findings", () =>
      findingsIn(config.python.file, config.python.codes),
    );
  }

  await step("settings-change", async () => {
    // A setting the running server applies without a restart: ignore one rule.
    mkdirSync(dirname(config.workspaceSettingsFile), { recursive: true });
    writeFileSync(
      config.workspaceSettingsFile,
      JSON.stringify({ "dbsense.ignore": [config.ignoredCode] }),
    );
    await page
      .locator(".markers-panel .monaco-list-row", {
        hasText: config.ignoredCode,
      })
      .first()
      .waitFor({ state: "detached" });
    return problemRows();
  });

  await step("output-channel", async () => {
    await runCommand("dbsense: Show Output");
    // The setup lines come first: show the top of the log.
    await page
      .locator(".part.panel .monaco-editor .view-lines")
      .first()
      .click();
    await page.keyboard.press("Control+Home");
    const text = page
      .locator(".part.panel .monaco-editor .view-lines", {
        hasText: config.outputText,
      })
      .first();
    await text.waitFor();
    return (await text.innerText()).replace(/\s+/g, " ");
  });

  await step("broken-pyproject", async () => {
    writeFileSync(config.brokenPyproject.file, config.brokenPyproject.text);
    // The server tells the user (a warning notification), logs it, goes on with defaults, and
    // the findings stay.
    await page
      .locator(".notifications-toasts .notification-toast", {
        hasText: config.brokenPyproject.logText,
      })
      .first()
      .waitFor();
    await page
      .locator(".part.panel .monaco-editor .view-lines")
      .first()
      .click();
    await page.keyboard.press("Control+End");
    const log = page
      .locator(".part.panel .monaco-editor .view-lines", {
        hasText: config.brokenPyproject.logText,
      })
      .first();
    await log.waitFor();
    const text = (await log.innerText()).replace(/\s+/g, " ");
    await problemRows(config.python.codes[0]);
    return text;
  });

  await step("bad-interpreter", async () => {
    mkdirSync(dirname(config.workspaceSettingsFile), { recursive: true });
    writeFileSync(
      config.workspaceSettingsFile,
      JSON.stringify({ "dbsense.interpreter": [config.badInterpreter] }),
    );
    const toast = page
      .locator(".notifications-toasts .notification-toast", {
        hasText: config.badInterpreterText,
      })
      .first();
    await toast.waitFor();
    return (await toast.innerText()).trim();
  });

  await step("still-editing", async () => {
    await openFile(config.sql.file);
    await activeEditor().locator(".view-lines").click();
    await page.keyboard.press("Control+End");
    await page.keyboard.type(config.typedText);
    await activeEditor()
      .locator(".view-lines", { hasText: config.typedText })
      .waitFor();
  });

  await step("recovered", async () => {
    // Dropping the bad setting restarts the server; so does "dbsense: Restart Server".
    const running = page
      .locator(".statusbar-item", { hasText: /dbsense \d+/ })
      .first();
    writeFileSync(config.workspaceSettingsFile, "{}");
    await running.waitFor();
    await runCommand("dbsense: Restart Server");
    await page
      .locator(".statusbar-item", { hasText: /dbsense \d+/ })
      .first()
      .waitFor();
    await problemRows(config.sql.target.code);
    return (await running.innerText()).trim();
  });
}

let failed = false;
try {
  await main();
} catch (error) {
  failed = true;
  result.error = String(error?.stack ?? error);
} finally {
  await browser.close();
}
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(failed ? 1 : 0);
