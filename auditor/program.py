"""What rules ask about one Worker: its configuration per environment and its code.

The Program joins the facts of every source file: it indexes them, resolves imports and
answers "what is this expression" through `auditor.resolve`. The frontends parse, once
per file, the first time a rule asks for the code.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.config.model import Environment, WorkerConfig
from auditor.facts import (
    Call,
    ClassDef,
    Declaration,
    Export,
    FileFacts,
    Function,
    Import,
    Return,
    Span,
    SyntaxProblem,
    TypeDef,
)
from auditor.findings import Location
from auditor.imports import PathAliases
from auditor.sources import SourceFile

if TYPE_CHECKING:
    from auditor.cache import FactsCache
    from auditor.resolve import Resolver


@dataclass
class Module:
    """One source file's facts, indexed. `key` is its path relative to the Worker root."""

    key: str
    display: str
    facts: FileFacts
    functions: dict[str, Function] = field(default_factory=dict)
    calls: dict[str | None, list[Call]] = field(default_factory=lambda: defaultdict(list))
    declarations: dict[str | None, list[Declaration]] = field(default_factory=lambda: defaultdict(list))
    returns: dict[str, list[Return]] = field(default_factory=lambda: defaultdict(list))
    classes: dict[str, ClassDef] = field(default_factory=dict)
    imports: dict[str, Import] = field(default_factory=dict)
    exports: dict[str, list[Export]] = field(default_factory=lambda: defaultdict(list))
    types: dict[str, TypeDef] = field(default_factory=dict)

    @classmethod
    def index(cls, key: str, display: str, facts: FileFacts) -> Module:
        module = cls(key, display, facts)
        module.functions = {f.id: f for f in facts.functions}
        for call in facts.calls:
            module.calls[call.function].append(call)
        for declaration in facts.declarations:
            module.declarations[declaration.function].append(declaration)
        for ret in facts.returns:
            module.returns[ret.function].append(ret)
        module.classes = {c.name: c for c in facts.classes}
        module.imports = {i.local: i for i in facts.imports if i.local}
        for export in facts.exports:
            module.exports[export.name].append(export)
        for type_def in facts.types:
            module.types.setdefault(type_def.name, type_def)
        return module

    @property
    def language(self) -> str:
        return self.facts.language

    def location(self, span: Span) -> Location:
        """Where a fact of this file is, as findings report it."""
        return Location(self.display, span.line, span.column, span.end_line, span.end_column)

    def enclosing(self, function: str | None) -> list[str]:
        """The function and the functions around it, innermost first. An id with no function
        (the constructor of a class that has field initialisers but no constructor) has none."""
        chain = []
        while function is not None and function in self.functions:
            chain.append(function)
            function = self.functions[function].parent
        return chain

    def class_of(self, function: str | None) -> str | None:
        """The class whose method (or a closure inside one) `function` is."""
        for fid in self.enclosing(function):
            found = self.functions[fid]
            if found.class_name:
                return found.class_name
        return None


@dataclass
class Program:
    config: WorkerConfig
    # `--env NAME`: audit only that deploy target; None audits every one.
    only_environment: str | None = None
    # Source files, parsed on first use: a run of config rules only never parses code.
    sources: list[SourceFile] = field(default_factory=list)
    root: str = "."  # the Worker root's display path
    entry: str | None = None  # the key of the `main` module, when it is one of ours
    aliases: PathAliases = field(default_factory=PathAliases)  # tsconfig `paths`
    python_roots: tuple[str, ...] = (".",)  # where Python imports are looked up
    parse_problems: list[tuple[str, SyntaxProblem]] = field(default_factory=list)
    # Names in `.dev.vars`: secrets set outside the configuration (`wrangler secret put`).
    dev_vars: frozenset[str] = frozenset()
    # The Worker root on disk: the estimate looks for `.github/workflows` above it.
    directory: Path | None = None
    # Answers several rules share (the KV operations), computed by the first that asks.
    memo: dict[str, object] = field(default_factory=dict)
    # Facts of files parsed before, by content (`auditor.cache`); None parses every file.
    cache: FactsCache | None = None

    @cached_property
    def modules(self) -> dict[str, Module]:
        from auditor.frontends import parse_source

        modules = {}
        for source in self.sources:
            key = source.key
            facts = self.cache.get(source) if self.cache is not None else None
            if facts is None:
                facts = parse_source(source)
                if self.cache is not None:
                    self.cache.put(source, facts)
            modules[key] = Module.index(key, source.display, facts)
            self.parse_problems.extend((source.display, p) for p in facts.problems)
        return modules

    def environments(self) -> tuple[Environment, ...]:
        if self.only_environment is None:
            return self.config.views()
        if self.only_environment == "":
            return (self.config.top,)
        return (self.config.environments[self.only_environment],)

    @cached_property
    def resolver(self) -> Resolver:
        from auditor.resolve import Resolver

        return Resolver(self)

    def release(self) -> None:
        """Drop the resolver, which points back at this Program. Without that cycle,
        reference counting frees the Worker's facts and values as soon as the audit is done
        with them, instead of a collector pass over millions of objects (0.9 s of a 3 s
        check of a 72k-line Worker)."""
        self.__dict__.pop("resolver", None)

    def all_calls(self) -> list[tuple[Module, Call]]:
        return [(m, c) for m in self.modules.values() for calls in m.calls.values() for c in calls]

    @cached_property
    def closure_calls(self) -> dict[tuple[str, str], tuple[Module, Call]]:
        """Each closure (module key, function id) and the call it is handed to."""
        index: dict[tuple[str, str], tuple[Module, Call]] = {}
        for module, call in self.all_calls():
            for arg in (*call.args, *(value for _, value in call.keywords)):
                if arg.kind == "function" and arg.function is not None:
                    index[(module.key, arg.function)] = (module, call)
        return index
