/** The status bar item: server state and the number of dbsense findings in the workspace. */
import * as vscode from "vscode";
import type { ServerState } from "./serverManager";

export const DIAGNOSTIC_SOURCE = "dbsense";

const ICONS: Record<ServerState, string> = {
  stopped: "$(circle-slash)",
  starting: "$(sync~spin)",
  running: "$(database)",
  error: "$(error)",
};

const DESCRIPTIONS: Record<ServerState, string> = {
  stopped: "server stopped",
  starting: "server starting",
  running: "server running",
  error: "server not running: see the output",
};

/** Count diagnostics whose source is dbsense, over every document VS Code knows about. */
export function countFindings(): number {
  let count = 0;
  for (const [, diagnostics] of vscode.languages.getDiagnostics()) {
    count += diagnostics.filter((d) => d.source === DIAGNOSTIC_SOURCE).length;
  }
  return count;
}

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(
    "dbsense.status",
    vscode.StatusBarAlignment.Left,
    10,
  );
  private readonly subscriptions: vscode.Disposable[] = [];
  private state: ServerState = "stopped";

  constructor(onDidChangeState: vscode.Event<ServerState>, commandId: string) {
    this.item.name = "dbsense";
    this.item.command = commandId;
    this.subscriptions.push(
      onDidChangeState((state) => {
        this.state = state;
        this.render();
      }),
      vscode.languages.onDidChangeDiagnostics(() => this.render()),
    );
    this.render();
    this.item.show();
  }

  private render(): void {
    const findings = countFindings();
    const label = this.state === "running" ? ` ${findings}` : "";
    this.item.text = `${ICONS[this.state]} dbsense${label}`;
    this.item.tooltip = `dbsense: ${DESCRIPTIONS[this.state]}; ${findings} finding${findings === 1 ? "" : "s"}. Click to show the output.`;
    this.item.backgroundColor =
      this.state === "error" ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
  }

  dispose(): void {
    this.item.dispose();
    for (const subscription of this.subscriptions) {
      subscription.dispose();
    }
  }
}
