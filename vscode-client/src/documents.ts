/**
 * Read-only Markdown documents shown by the "Show Schema Catalog", "Run Live Checks", "Recommend
 * Indexes" and "Show Rule Documentation" commands. Their content comes from the server;
 * documents under the `dbsense:` scheme cannot be edited.
 */
import * as vscode from "vscode";
import {
  ExecuteCommandRequest,
  HoverRequest,
  type LanguageClient,
} from "vscode-languageclient/node";
import { DIAGNOSTIC_SOURCE } from "./statusBar";

export const SCHEME = "dbsense";
export const CATALOG_SERVER_COMMAND = "dbsense.showCatalog";
export const LIVE_CHECKS_SERVER_COMMAND = "dbsense.runLiveChecks";
export const RECOMMEND_INDEXES_SERVER_COMMAND = "dbsense.recommendIndexes";

export class ReadOnlyDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly contents = new Map<string, string>();
  private readonly changeEmitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changeEmitter.event;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? "";
  }

  /** Store `text` under `dbsense:/<name>` and open it as Markdown. */
  async show(name: string, text: string): Promise<void> {
    const uri = vscode.Uri.from({ scheme: SCHEME, path: `/${name}` });
    this.contents.set(uri.toString(), text);
    this.changeEmitter.fire(uri);
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(document, "markdown");
    await vscode.window.showTextDocument(document, {
      preview: true,
      viewColumn: vscode.ViewColumn.Beside,
    });
  }

  dispose(): void {
    this.changeEmitter.dispose();
  }
}

/** Markdown from the server's reply, which may be a string or a `{ markdown | value }` object. */
export function markdownFrom(result: unknown): string | undefined {
  if (typeof result === "string") {
    return result;
  }
  if (result && typeof result === "object") {
    for (const key of ["markdown", "value", "contents"]) {
      const value = (result as Record<string, unknown>)[key];
      if (typeof value === "string") {
        return value;
      }
    }
  }
  return undefined;
}

/** Run a server command that answers Markdown and show the answer as `name`. */
async function showServerMarkdown(
  client: LanguageClient | undefined,
  documents: ReadOnlyDocuments,
  command: string,
  args: unknown[],
  name: string,
  what: string,
): Promise<void> {
  if (!client) {
    void vscode.window.showWarningMessage(
      `The dbsense server is not running, so ${what} is not available. Run "dbsense: Restart Server" or see "dbsense: Show Output".`,
    );
    return;
  }
  const commands = client.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
  if (!commands.includes(command)) {
    void vscode.window.showWarningMessage(
      `This version of the dbsense server does not provide ${what} (no "${command}" command).`,
    );
    return;
  }
  try {
    const result = await client.sendRequest(ExecuteCommandRequest.type, {
      command,
      arguments: args,
    });
    const text = markdownFrom(result);
    if (text === undefined) {
      void vscode.window.showWarningMessage(`The dbsense server returned no ${what}.`);
      return;
    }
    await documents.show(name, text);
  } catch (error) {
    void vscode.window.showErrorMessage(
      `The dbsense server could not build ${what}: ${String(error)}`,
    );
  }
}

export async function showSchemaCatalog(
  client: LanguageClient | undefined,
  documents: ReadOnlyDocuments,
): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.toString();
  await showServerMarkdown(
    client,
    documents,
    CATALOG_SERVER_COMMAND,
    folder ? [folder] : [],
    "Schema Catalog.md",
    "the schema catalog",
  );
}

/** The read-only live checks of the `dbsense.live.*` connections (run on demand). */
export async function showLiveChecks(
  client: LanguageClient | undefined,
  documents: ReadOnlyDocuments,
): Promise<void> {
  await showServerMarkdown(
    client,
    documents,
    LIVE_CHECKS_SERVER_COMMAND,
    [],
    "Live Checks.md",
    "the live checks",
  );
}

/** Verified index advice on the workspace's queries, now (it also runs after indexing). */
export async function showIndexRecommendations(
  client: LanguageClient | undefined,
  documents: ReadOnlyDocuments,
): Promise<void> {
  await showServerMarkdown(
    client,
    documents,
    RECOMMEND_INDEXES_SERVER_COMMAND,
    [],
    "Index Recommendations.md",
    "index recommendations",
  );
}

/** The code of a dbsense diagnostic, e.g. "PG302". */
export function diagnosticCode(diagnostic: vscode.Diagnostic): string | undefined {
  const code = typeof diagnostic.code === "object" ? diagnostic.code.value : diagnostic.code;
  return code === undefined ? undefined : String(code);
}

function ruleHref(diagnostic: vscode.Diagnostic): string | undefined {
  return typeof diagnostic.code === "object" ? diagnostic.code.target.toString() : undefined;
}

/** dbsense findings to choose from: those at the cursor first, then the rest of the document. */
function candidates(
  code: string | undefined,
): { uri: vscode.Uri; diagnostic: vscode.Diagnostic }[] {
  const editor = vscode.window.activeTextEditor;
  const all = code
    ? vscode.languages
        .getDiagnostics()
        .flatMap(([uri, list]) => list.map((diagnostic) => ({ uri, diagnostic })))
    : editor
      ? vscode.languages
          .getDiagnostics(editor.document.uri)
          .map((diagnostic) => ({ uri: editor.document.uri, diagnostic }))
      : [];
  const ours = all.filter(
    (c) =>
      c.diagnostic.source === DIAGNOSTIC_SOURCE && (!code || diagnosticCode(c.diagnostic) === code),
  );
  const cursor = editor?.selection.active;
  const atCursor = cursor ? ours.filter((c) => c.diagnostic.range.contains(cursor)) : [];
  return atCursor.length > 0 ? atCursor : ours;
}

/** Show the rule page of a finding (the server's hover on it), chosen by code or from the editor. */
export async function showRuleDocumentation(
  client: LanguageClient | undefined,
  documents: ReadOnlyDocuments,
  code?: unknown,
): Promise<void> {
  const wanted = typeof code === "string" && code.trim() ? code.trim().toUpperCase() : undefined;
  const found = candidates(wanted);
  const byCode = new Map(found.map((c) => [diagnosticCode(c.diagnostic) ?? "", c]));
  let picked: (typeof found)[number] | undefined = found[0];
  if (byCode.size > 1) {
    const choice = await vscode.window.showQuickPick(
      [...byCode.entries()].map(([label, c]) => ({ label, description: c.diagnostic.message })),
      { placeHolder: "Which rule?" },
    );
    picked = choice ? byCode.get(choice.label) : undefined;
    if (!picked) {
      return;
    }
  }
  if (!picked) {
    void vscode.window.showInformationMessage(
      wanted
        ? `No ${wanted} finding is open, so its documentation cannot be shown here.`
        : "No dbsense finding in this editor. Put the cursor on a squiggle and run the command again.",
    );
    return;
  }
  const ruleCode = diagnosticCode(picked.diagnostic) ?? "rule";
  const href = ruleHref(picked.diagnostic);
  const parts = [`# ${ruleCode}`, picked.diagnostic.message];
  if (client) {
    try {
      const hover = await client.sendRequest(HoverRequest.type, {
        textDocument: { uri: client.code2ProtocolConverter.asUri(picked.uri) },
        position: client.code2ProtocolConverter.asPosition(picked.diagnostic.range.start),
      });
      const converted = await client.protocol2CodeConverter.asHover(hover);
      for (const content of converted?.contents ?? []) {
        parts.push(typeof content === "string" ? content : content.value);
      }
    } catch (error) {
      parts.push(`_The server could not provide the rule page: ${String(error)}_`);
    }
  }
  if (href) {
    parts.push(`Online documentation: <${href}>`);
  }
  await documents.show(`rules/${ruleCode}.md`, parts.join("\n\n"));
}
