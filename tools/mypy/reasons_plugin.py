"""Lets mypy read the error-reason catalogues: ``Reason = Reasons("Reason",
"NAME_ONE NAME_TWO …")`` (services/kernel/errors.py) builds an enum with the
functional API, which mypy understands only when called on ``enum.Enum``
itself. This hook gives such a call the same treatment, so a misspelt
``Reason.X`` is an error rather than Any."""

from __future__ import annotations

from collections.abc import Callable

from mypy.nodes import ARG_POS, GDEF, StrExpr, SymbolTableNode
from mypy.plugin import DynamicClassDefContext, FunctionSigContext, Plugin
from mypy.semanal_enum import EnumCallAnalyzer
from mypy.types import FunctionLike

REASONS = "services.kernel.errors.Reasons"


def _catalogue(ctx: DynamicClassDefContext) -> None:
    names = ctx.call.args[1] if len(ctx.call.args) > 1 else None
    if not isinstance(names, StrExpr):
        ctx.api.fail("a Reasons catalogue lists its names in one string literal", ctx.call)
        return
    items = names.value.replace(",", " ").split()
    analyzer = EnumCallAnalyzer(ctx.api.options, ctx.api)  # type: ignore[arg-type]
    info = analyzer.build_enum_call_typeinfo(ctx.name, items, REASONS, ctx.call.line)
    ctx.api.add_symbol_table_node(ctx.name, SymbolTableNode(GDEF, info))


def _signature(ctx: FunctionSigContext) -> FunctionLike:
    """``Reasons(class name, names)``: the functional call, not a member lookup."""
    text = ctx.api.named_generic_type("builtins.str", [])
    return ctx.default_signature.copy_modified(
        arg_types=[text, text], arg_kinds=[ARG_POS, ARG_POS], arg_names=["value", "names"]
    )


class ReasonsPlugin(Plugin):
    def get_function_signature_hook(
        self, fullname: str
    ) -> Callable[[FunctionSigContext], FunctionLike] | None:
        return _signature if fullname == REASONS else None

    def get_dynamic_class_hook(self, fullname: str) -> Callable[[DynamicClassDefContext], None] | None:
        return _catalogue if fullname == REASONS else None


def plugin(version: str) -> type[Plugin]:
    return ReasonsPlugin
