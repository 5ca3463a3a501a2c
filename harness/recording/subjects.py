"""What a scenario scripts: the three subjects `torch.jit.script` takes, and how each is scripted.

A scenario's factory returns one of them:

- `module`: an `nn.Module` instance (the seed's walk: concrete types, then methods);
- `function`: a free function, plain or already `@torch.jit.script`-decorated (then it was
  compiled when the decorator ran, inside the factory, and scripting it again returns it);
- `class`: a class (plain or decorated), compiled with its methods into a TorchScript class.

Anything else is left for torch to judge: its own error is the one the user must see.
"""
from __future__ import annotations

import inspect
import sys
from typing import Any, Dict, Optional

MODULE, FUNCTION, CLASS = "module", "function", "class"
KINDS = (MODULE, FUNCTION, CLASS)


def kind_of(obj: Any, torch: Any) -> Optional[str]:
    """The subject kind of what a factory returned; None when it is none of the three."""
    if isinstance(obj, torch.nn.Module):
        return MODULE
    if inspect.isclass(obj):
        return CLASS
    if inspect.isfunction(obj) or inspect.ismethod(obj) \
            or isinstance(obj, torch.jit.ScriptFunction):
        return FUNCTION
    return None


def script(torch: Any, obj: Any) -> Any:
    """`torch.jit.script(obj)`, called as if from the module that defines `obj`.

    torch resolves the names a scripted *class* uses from the frame that calls
    `torch.jit.script` (`createResolutionCallbackFromFrame`): a user scripts a class in the
    file that defines it, where its neighbours (another class it uses) are globals. Called
    from the harness's own frame, those names would be undefined. So the call is evaluated
    with the defining module's globals, which is what a plain `torch.jit.script(Box)` at the
    bottom of that file sees. Modules and functions resolve names from the function itself
    (its closure and globals), so for them the frame changes nothing.
    """
    module = sys.modules.get(getattr(obj, "__module__", None) or "")
    scope = getattr(module, "__dict__", None)
    if not inspect.isclass(obj) or not isinstance(scope, dict):
        return torch.jit.script(obj)
    call = compile("_harness_script_(_harness_subject_)", "<harness: torch.jit.script>", "eval")
    return eval(call, scope, {"_harness_script_": torch.jit.script, "_harness_subject_": obj})


def scripted_info(torch: Any, kind: Optional[str], scripted: Any) -> Dict[str, Any]:
    """The end record's `scripted`: what torch produced, by name."""
    if kind == FUNCTION:
        return {"qualified_name": str(getattr(scripted, "qualified_name", "?"))}
    if kind == CLASS:
        return {"qualified_name": torch._jit_internal._qualified_name(scripted)}
    return {"qualified_name": scripted._c._type().qualified_name()}
