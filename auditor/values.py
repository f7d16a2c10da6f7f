"""What an expression is known to be, as the Program resolves it."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.facts import Expr, Literal


@dataclass(frozen=True)
class Scope:
    """Where an expression is evaluated: a module, a function in it, and the arguments
    that callers passed to the parameters of that function or of the functions
    around it, keyed by (function id, parameter index). No bindings: any caller."""

    module: str
    function: str | None
    bindings: tuple[tuple[tuple[str, int], Argument], ...] = ()

    def argument(self, function: str, index: int) -> Argument | None:
        for key, argument in self.bindings:
            if key == (function, index):
                return argument
        return None

    def inside(self, function: str | None) -> Scope:
        return Scope(self.module, function, self.bindings)


@dataclass(frozen=True)
class Argument:
    """What a caller passed (None: nothing) and the scope it is evaluated in."""

    expr: Expr | None
    scope: Scope
    keyword_args: tuple[tuple[str, Expr], ...] = ()


@dataclass(frozen=True)
class Unknown:
    why: str = ""


@dataclass(frozen=True)
class Missing:
    """An argument the caller did not pass."""


@dataclass(frozen=True)
class WorkerEnv:
    """The Worker's `env`: its properties are bindings."""


@dataclass(frozen=True)
class Binding:
    """`env.NAME`. `kind` is the config key that declares it (`kv_namespaces`, …), or
    what its type annotation says (`kv_namespaces` for `KVNamespace`), or None."""

    name: str | None
    kind: str | None


@dataclass(frozen=True)
class DurableObjectState:
    """`ctx` / `state` of a Durable Object: `.storage` is its storage."""


@dataclass(frozen=True)
class DurableObjectStorage:
    pass


@dataclass(frozen=True)
class DurableObjectStub:
    """`env.NS.get(id)` and the like: every call on it is a request to the object."""

    binding: str | None


@dataclass(frozen=True)
class RequestContext:
    """A framework context whose `.env` is the Worker env (Hono `c`, Pages `context`)."""


@dataclass(frozen=True)
class ClassRef:
    module: str
    name: str


@dataclass(frozen=True)
class Instance:
    """An object of a project class; `constructed` holds the `new` call's scope, if known."""

    module: str
    name: str
    constructed: Scope | None = None


@dataclass(frozen=True)
class FunctionRef:
    module: str
    function: str
    this: Instance | None = None


@dataclass(frozen=True)
class Namespace:
    """`import * as m`: its members are the module's exports."""

    module: str


@dataclass(frozen=True)
class Constant:
    value: Literal


@dataclass(frozen=True)
class ObjectValue:
    """An object literal (or Python dict) with the scope its values are evaluated in."""

    expr: Expr
    scope: Scope


@dataclass(frozen=True)
class Parameter:
    """A parameter no caller has been bound to: the answer depends on the call site."""

    module: str
    function: str
    index: int


Value = (Unknown | Missing | WorkerEnv | Binding | DurableObjectState | DurableObjectStorage
         | DurableObjectStub | RequestContext | ClassRef | Instance | FunctionRef | Namespace | Constant
         | ObjectValue | Parameter)
