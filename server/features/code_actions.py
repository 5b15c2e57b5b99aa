"""Code actions: the rule's fix, new files a finding proposes (a migration), disable for this
line / file, show documentation, and ``source.fixAll.dbsense``. Fixes come from
``Diagnostic.data``; nothing is re-analysed, and actions for a diagnostic computed on another
version of the document are not offered."""

from __future__ import annotations

import re
from typing import Any

from lsprotocol import types

from dbsense.analyzers.ir import Span, is_python
from dbsense.fixes import fix_text
from dbsense.server.convert import SOURCE, PositionMap, range_from_json
from dbsense.server.project import OpenDocument
from dbsense.server.server import DbsenseServer, guarded

FIX_ALL = "source.fixAll.dbsense"
SHOW_DOCUMENTATION = "dbsense.showDocumentation"
_NOQA_CODES = re.compile(r"noqa\s*:\s*[A-Za-z]+[0-9]+(?:\s*,\s*[A-Za-z]+[0-9]+)*")
_FILE_IGNORE = re.compile(r"dbsense\s*:\s*file-ignore\s*\[(?P<body>[^\]]*)\]")


class Actions:
    def __init__(self, server: DbsenseServer, document: OpenDocument) -> None:
        self.server = server
        self.document = document
        self.positions = PositionMap(document.text, server.encoding)
        self.comment = "#" if is_python(document.path) else "--"

    def workspace_edit(self, edits: dict[str, list[types.TextEdit]]) -> types.WorkspaceEdit:
        if self.server.client_supports("workspace.workspace_edit.document_changes"):
            changes = []
            for uri, text_edits in edits.items():
                version = self.document.version if uri == self.document.uri else None
                changes.append(
                    types.TextDocumentEdit(
                        types.OptionalVersionedTextDocumentIdentifier(uri, version), text_edits
                    )
                )
            return types.WorkspaceEdit(document_changes=changes)
        return types.WorkspaceEdit(changes=edits)

    def rule_fix(self, diagnostic: types.Diagnostic, fix: Any) -> types.CodeAction | None:
        edits: dict[str, list[types.TextEdit]] = {}
        for item in fix.get("edits") or ():
            range_ = range_from_json(item.get("range"))
            if range_ is None or not isinstance(item.get("newText"), str):
                return None
            uri = item.get("uri") or self.document.uri
            edits.setdefault(uri, []).append(types.TextEdit(range_, item["newText"]))
        if not edits:
            return None
        return types.CodeAction(
            title=str(fix.get("title") or "Apply the fix"),
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[diagnostic],
            is_preferred=fix.get("applicability") == "safe",
            edit=self.workspace_edit(edits),
        )

    def create_files(self, diagnostic: types.Diagnostic, files: Any) -> types.CodeAction | None:
        """``files`` (``{"title", "create": [{"uri", "text"}]}``) as one edit creating each
        file with its text; ``None`` when the client cannot create files."""
        workspace = getattr(self.server.client_capabilities, "workspace", None)
        edit = getattr(workspace, "workspace_edit", None)
        kinds = getattr(edit, "resource_operations", None) or ()
        if not getattr(edit, "document_changes", False) or (
            types.ResourceOperationKind.Create not in kinds
        ):
            return None
        changes: list[Any] = []
        for item in files.get("create") or ():
            uri, text = item.get("uri"), item.get("text")
            if not isinstance(uri, str) or not isinstance(text, str):
                return None
            start = types.Position(0, 0)
            changes.append(
                types.CreateFile(uri, options=types.CreateFileOptions(ignore_if_exists=False))
            )
            changes.append(
                types.TextDocumentEdit(
                    types.OptionalVersionedTextDocumentIdentifier(uri, None),
                    [types.TextEdit(types.Range(start, start), text)],
                )
            )
        if not changes:
            return None
        return types.CodeAction(
            title=str(files.get("title") or "Create the files"),
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[diagnostic],
            edit=types.WorkspaceEdit(document_changes=changes),
        )

    def disable_for_line(self, diagnostic: types.Diagnostic, code: str) -> types.CodeAction:
        line = self.positions.line_span(diagnostic.range.start.line)
        content = self.document.text[line.start : line.end]
        existing = _NOQA_CODES.search(content)
        if existing is not None:
            edit = self._insert(line.start + existing.end(), f", {code}")
        else:
            edit = self._insert(line.end, f"  {self.comment} noqa: {code}")
        return types.CodeAction(
            title=f"Disable {code} for this line",
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[diagnostic],
            edit=self.workspace_edit({self.document.uri: [edit]}),
        )

    def disable_for_file(self, diagnostic: types.Diagnostic, code: str) -> types.CodeAction:
        text = self.document.text
        existing = _FILE_IGNORE.search(text)
        if existing is not None:
            body = existing.group("body")
            separator = ", " if body.strip() else ""
            edit = self._insert(existing.start("body") + len(body.rstrip()), f"{separator}{code}")
        else:
            edit = self._insert(
                self._header_end(),
                f"{self.comment} dbsense: file-ignore[{code}]{self.positions.line_break()}",
            )
        return types.CodeAction(
            title=f"Disable {code} for this file",
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[diagnostic],
            edit=self.workspace_edit({self.document.uri: [edit]}),
        )

    def _header_end(self) -> int:
        """Where a file-level comment goes: after a shebang and an encoding line."""
        offset = 0
        for _ in range(2):
            line_end = self.document.text.find("\n", offset)
            line = self.document.text[offset : line_end if line_end != -1 else None]
            if (
                self.comment == "#"
                and line_end != -1
                and (line.startswith("#!") or re.match(r"#.*coding[:=]", line))
            ):
                offset = line_end + 1
            else:
                break
        return offset

    def _insert(self, offset: int, text: str) -> types.TextEdit:
        position = self.positions.position(offset)
        return types.TextEdit(types.Range(position, position), text)

    def fix_all(self, violations: list[Any], unsafe: bool) -> types.CodeAction | None:
        text = self.document.text
        new_text, count = fix_text(text, violations, unsafe)
        if not count or new_text == text:
            return None
        span, replacement = minimal_change(text, new_text)
        edit = types.TextEdit(self.positions.range(span), replacement)
        return types.CodeAction(
            title="Fix all dbsense findings"
            if not unsafe
            else "Fix all dbsense findings (unsafe too)",
            kind=FIX_ALL,
            edit=self.workspace_edit({self.document.uri: [edit]}),
        )


def minimal_change(old: str, new: str) -> tuple[Span, str]:
    """The smallest single replacement that turns ``old`` into ``new``."""
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    return Span(prefix, len(old) - suffix), new[prefix : len(new) - suffix]


def _wants(only: list[str] | None, kind: str) -> bool:
    if not only:
        return True
    return any(kind == item or kind.startswith(f"{item}.") for item in only)


def register(server: DbsenseServer) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[
                types.CodeActionKind.QuickFix,
                types.CodeActionKind.SourceFixAll,
                FIX_ALL,
            ]
        ),
    )
    @guarded(server, "textDocument/codeAction")
    def code_action(params: types.CodeActionParams) -> list[types.CodeAction] | None:
        document = server.documents.get(params.text_document.uri)
        located = server.locate(params.text_document.uri)
        if document is None or located is None:
            return None
        project, path = located
        actions = Actions(server, document)
        only = [str(kind) for kind in params.context.only or ()] or None
        result: list[types.CodeAction] = []
        if _wants(only, types.CodeActionKind.QuickFix):
            result.extend(_quick_fixes(actions, params.context.diagnostics))
        if only is not None and _wants(only, FIX_ALL):
            analysis = project.analysis
            if analysis is not None and analysis.versions.get(path, object()) == document.version:
                violations = analysis.by_path.get(path, [])
                action = actions.fix_all(violations, project.editor.unsafe_fixes)
                if action is not None:
                    result.append(action)
        return result

    def _quick_fixes(
        actions: Actions, diagnostics: list[types.Diagnostic]
    ) -> list[types.CodeAction]:
        fixes: list[types.CodeAction] = []
        disables: list[types.CodeAction] = []
        documentation: list[types.CodeAction] = []
        seen: set[tuple[str, Any]] = set()
        for item in diagnostics:
            if item.source != SOURCE or item.code is None:
                continue
            data = item.data if isinstance(item.data, dict) else {}
            if data.get("version", actions.document.version) != actions.document.version:
                continue  # computed for another version of the text: stale
            code = str(item.code)
            fix = data.get("fix")
            if isinstance(fix, dict):
                action = actions.rule_fix(item, fix)
                if action is not None:
                    fixes.append(action)
            files = data.get("files")
            if isinstance(files, dict):
                action = actions.create_files(item, files)
                if action is not None:
                    fixes.append(action)
            if (code, item.range.start.line) not in seen:
                seen.add((code, item.range.start.line))
                disables.append(actions.disable_for_line(item, code))
            if (code, None) not in seen:
                seen.add((code, None))
                disables.append(actions.disable_for_file(item, code))
                documentation.append(
                    types.CodeAction(
                        title=f"Show documentation for {code}",
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[item],
                        command=types.Command(
                            title=f"Show documentation for {code}",
                            command=SHOW_DOCUMENTATION,
                            arguments=[code],
                        ),
                    )
                )
        return fixes + disables + documentation
