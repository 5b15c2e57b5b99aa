"""Alias-aware name resolution for one module, and a workspace symbol index.

``ImportMap.from_module(tree, "shop.views").qualify(node)`` turns ``m.ForeignKey`` (after
``from django.db import models as m``) into ``django.db.models.ForeignKey``, ``sa.Column`` into
``sqlalchemy.Column``, and a class defined in the module into ``shop.views.ClassName``. Relative
imports resolve against the module's package. Names bound by anything but an import or a
top-level definition qualify to ``None``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field


@dataclass(slots=True)
class ImportMap:
    """Local name -> fully qualified name, for one module."""

    module: str = ""
    names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_module(cls, tree: ast.Module, module: str = "") -> ImportMap:
        """Imports anywhere in ``tree`` (also inside functions and ``try``/``if`` blocks) plus the
        module's top-level classes and functions."""
        mapping = cls(module)
        for statement in tree.body:
            if isinstance(statement, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                mapping.names[statement.name] = _join(module, statement.name)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        mapping.names[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".", 1)[0]
                        mapping.names[top] = top
            elif isinstance(node, ast.ImportFrom):
                base = mapping._resolve_from(node.module, node.level)
                for alias in node.names:
                    if alias.name == "*":
                        continue
                    mapping.names[alias.asname or alias.name] = _join(base, alias.name)
        return mapping

    def _resolve_from(self, module: str | None, level: int) -> str:
        if not level:
            return module or ""
        package = self.module.split(".")[:-level] if self.module else []
        return _join(".".join(package), module or "")

    def qualify(self, node: ast.AST | None) -> str | None:
        """The qualified name of a ``Name``/``Attribute`` chain (or of a call's callee), or
        ``None`` when its root is not an imported or top-level name."""
        if isinstance(node, ast.Call):
            node = node.func
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        root = self.names.get(node.id)
        if root is None:
            return None
        return ".".join([root, *reversed(parts)])

    def is_(self, node: ast.AST | None, *qualified: str) -> bool:
        """True when ``node`` qualifies to one of ``qualified``."""
        name = self.qualify(node)
        return name is not None and name in qualified

    def imports_from(self, prefix: str) -> bool:
        """True when any name of the module comes from package ``prefix``."""
        return any(
            value == prefix or value.startswith(prefix + ".") for value in self.names.values()
        )

    def local_name(self, qualified: str) -> str | None:
        """A local name bound to ``qualified`` (e.g. ``selectinload``), if any."""
        return next((local for local, value in self.names.items() if value == qualified), None)


def _join(*parts: str) -> str:
    return ".".join(part for part in parts if part)
