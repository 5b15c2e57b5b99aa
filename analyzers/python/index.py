"""The workspace's Python index: ORM models with their relations, function summaries, and the
settings rules read across modules (connections, deployments, DRF defaults).

The catalog collects :class:`ModelFact` and :class:`FunctionFact` from every unit here, so a
rule looking at a loop in ``views.py`` can learn that ``Order.customer`` (declared in
``models.py``) is a lazy relation, or that ``services.describe`` reads it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from dbsense.analyzers.ir import (
    ConnectionSetupFact,
    DeploymentFact,
    DrfSettingsFact,
    Fact,
    FrameworkFixFact,
    FunctionFact,
    ModelFact,
    RelationDef,
    Span,
)

INDEXED_FACTS = (
    ModelFact,
    FunctionFact,
    ConnectionSetupFact,
    DeploymentFact,
    FrameworkFixFact,
    DrfSettingsFact,
)


@dataclass(frozen=True, slots=True)
class Located:
    path: str
    fact: ModelFact | FunctionFact


@dataclass(slots=True)
class PythonIndex:
    models: dict[str, Located] = field(default_factory=dict)
    functions: dict[str, Located] = field(default_factory=dict)
    connections: list[tuple[str, ConnectionSetupFact]] = field(default_factory=list)
    deployments: list[tuple[str, DeploymentFact]] = field(default_factory=list)
    fixes: dict[tuple[str, Span, str], FrameworkFixFact] = field(default_factory=dict)
    drf_settings: list[tuple[str, DrfSettingsFact]] = field(default_factory=list)
    _reverse: dict[str, dict[str, RelationDef]] | None = None
    _by_name: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_facts(cls, path: str, facts: Iterable[Fact]) -> PythonIndex:
        index = cls()
        for fact in facts:
            index.add(path, fact)
        return index

    def add(self, path: str, fact: Fact) -> None:
        if isinstance(fact, ModelFact):
            self.models.setdefault(fact.qualified, Located(path, fact))
            self._by_name.setdefault(fact.qualified.rsplit(".", 1)[-1], []).append(fact.qualified)
            self._reverse = None
        elif isinstance(fact, FunctionFact):
            self.functions.setdefault(fact.qualified, Located(path, fact))
        elif isinstance(fact, ConnectionSetupFact):
            self.connections.append((path, fact))
        elif isinstance(fact, DeploymentFact):
            self.deployments.append((path, fact))
        elif isinstance(fact, FrameworkFixFact):
            self.fixes[(path, fact.span, fact.purpose)] = fact
        elif isinstance(fact, DrfSettingsFact):
            self.drf_settings.append((path, fact))

    # --- lookups ---------------------------------------------------------------------------

    def fix(self, path: str, span: Span, purpose: str) -> FrameworkFixFact | None:
        """The framework fix a front-end prepared for the element at ``span`` of ``path``."""
        return self.fixes.get((path, span, purpose))

    def model(self, name: str | None) -> Located | None:
        """The model ``name`` refers to: a qualified class name (matched exactly or by dotted
        suffix) or Django's ``app_label.Model``."""
        if not name:
            return None
        exact = self.models.get(name)
        if exact is not None:
            return exact
        short = name.rsplit(".", 1)[-1]
        candidates = self._by_name.get(short, [])
        matching = [q for q in candidates if q.endswith("." + name) or name.endswith("." + q)] or [
            q for q in candidates if _same_app(q, name)
        ]
        if len(matching) != 1 and len(candidates) == 1:
            matching = candidates
        return self.models[matching[0]] if len(matching) == 1 else None

    def relation(self, model: str, attr: str) -> RelationDef | None:
        """The relation ``attr`` of ``model``: declared on it, on an abstract base in the
        workspace, or added to it as a Django reverse accessor."""
        located = self.model(model)
        if located is None:
            return None
        fact = located.fact
        assert isinstance(fact, ModelFact)
        for relation in fact.relations:
            if relation.attr == attr:
                return relation
        reverse = self._reverse_relations().get(fact.qualified, {})
        if attr in reverse:
            return reverse[attr]
        for base in fact.bases:
            module = fact.qualified.rsplit(".", 1)[0]
            parent = self.model(f"{module}.{base}") or self.model(base)
            if parent is not None and parent.fact is not fact:
                found = self.relation(parent.fact.qualified, attr)  # type: ignore[union-attr]
                if found is not None:
                    return found
        return None

    def function(self, qualified: str | None) -> Located | None:
        if not qualified:
            return None
        exact = self.functions.get(qualified)
        if exact is not None:
            return exact
        matching = [
            name
            for name in self.functions
            if name.endswith("." + qualified) or qualified.endswith("." + name)
        ]
        return self.functions[matching[0]] if len(matching) == 1 else None

    def method(self, model: str, name: str) -> Located | None:
        """A method (or property) ``name`` defined on ``model``'s class."""
        located = self.model(model)
        if located is None:
            return None
        return self.functions.get(f"{located.fact.qualified}.{name}")  # type: ignore[union-attr]

    def _reverse_relations(self) -> dict[str, dict[str, RelationDef]]:
        if self._reverse is None:
            reverse: dict[str, dict[str, RelationDef]] = {}
            for located in self.models.values():
                fact = located.fact
                assert isinstance(fact, ModelFact)
                for relation in fact.relations:
                    if relation.reverse_name is None or relation.kind == "relationship":
                        continue
                    target = self.model(relation.target)
                    if target is None:
                        continue
                    single = relation.kind == "one-to-one"
                    reverse.setdefault(target.fact.qualified, {})[relation.reverse_name] = (  # type: ignore[union-attr]
                        RelationDef(
                            relation.reverse_name,
                            "reverse",
                            fact.qualified,
                            many=not single,
                            span=relation.span,
                        )
                    )
            # SQLAlchemy backrefs
            for located in self.models.values():
                fact = located.fact
                assert isinstance(fact, ModelFact)
                for relation in fact.relations:
                    if relation.kind != "relationship" or relation.reverse_name is None:
                        continue
                    target = self.model(relation.target)
                    if target is not None:
                        reverse.setdefault(target.fact.qualified, {})[relation.reverse_name] = (  # type: ignore[union-attr]
                            RelationDef(
                                relation.reverse_name,
                                "relationship",
                                fact.qualified,
                                many=not relation.many,
                                span=relation.span,
                            )
                        )
            self._reverse = reverse
        return self._reverse


def _same_app(qualified: str, name: str) -> bool:
    """``shop.models.Order`` is Django's ``shop.Order``."""
    if name.count(".") != 1:
        return False
    label, class_name = name.split(".")
    parts = qualified.split(".")
    return parts[-1] == class_name and label in parts[:-1]
