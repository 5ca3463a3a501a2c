"""The fixes the diagnosis advises, each with what it costs.

One place, because each is a claim about torch: tests/integration/test_diagnosis_fixes.py and
test_diagnosis_corpus.py apply every one of them to a model failing that way and script it
(and call it, where the fix is about calling). Each is chosen to hold for torch 1.13 to 2.14
(docs/diagnosis.md says where releases differ).

Never advised: @torch.jit.ignore on `forward` (scripting then passes and calling fails), or on
a property (it raises), or on a function stored as a module attribute (torch compiles it
anyway).
"""
from __future__ import annotations

from typing import Optional

# What moving code out of TorchScript costs, said the same way everywhere.
IGNORE_COST = ("@torch.jit.ignore keeps it Python: scripted code can call it, but the scripted "
               "module can then not be saved with torch.jit.save; @torch.jit.unused keeps it "
               "saveable but raises if it is called")


def _out_of_script(method: Optional[str]) -> str:
    """Moving the failing code into a method left out of TorchScript: never for forward."""
    if method and method != "forward" and "." not in method:
        return f"; or mark {method} @torch.jit.ignore / @torch.jit.unused ({IGNORE_COST})"
    return (f"; or move that code into a helper method marked @torch.jit.ignore / "
            f"@torch.jit.unused and call it ({IGNORE_COST})")


CONSTRUCT_FIXES = {
    "variadic arguments": "give it a fixed list of typed arguments (x: Tensor, "
                          "mask: Optional[Tensor] = None): TorchScript compiles no *args or "
                          "**kwargs",
    "a lambda": "replace the lambda with a named function defined at module level (or a "
                "method)",
    "a generator expression": "build a list with a for loop (or a list comprehension) and "
                              "reduce it in a loop: TorchScript compiles no generator",
    "a set comprehension": "use a list (TorchScript has no set type)",
    "a yield (a generator)": "return a list instead of yielding",
    "a with statement": "remove the with block from scripted code (TorchScript compiles "
                        "`with` only for torch.no_grad() and other context managers written "
                        "for it)",
    "a try block": "remove the try block from scripted code (TorchScript compiles no "
                   "exception handling)",
    "a del statement": "drop the del statement (TorchScript deletes only list and dict items)",
    "recursion": "rewrite the recursion as a loop (TorchScript compiles no recursive call)",
    "super()": "write out what the parent's method computes (e.g. for nn.Linear, "
               "F.linear(x, self.weight, self.bias)), or hold the parent as a submodule and "
               "call it: TorchScript compiles no super() call",
    "the iterator protocol (next())": "read what you need directly: a parameter or buffer by "
                                      "name (self.fc.weight.device), or the input's own "
                                      "device and dtype (x.device); TorchScript has no next()",
    "the iterator protocol (iter())": "iterate with a for loop: TorchScript has no iter()",
    "getattr with a name built at run time": "keep the modules in an nn.ModuleList (or "
                                             "nn.ModuleDict) and iterate it (`for layer in "
                                             "self.layers:`): getattr needs a string literal",
    "a ModuleDict indexed by a key built at run time": "iterate the ModuleDict and compare "
                                                       "the key (`for name, head in "
                                                       "self.heads.items(): if name == key: "
                                                       "...`): its index must be a literal",
    "a ModuleList indexed by a variable": "iterate it with enumerate and compare the index "
                                          "(`for j, layer in enumerate(self.layers): if j == "
                                          "i: ...`): its index must be a literal",
    "a dataclass": "return a typing.NamedTuple (class Out(NamedTuple): a: Tensor) instead of "
                   "a dataclass",
}


# Constructs whose fix is in the code's shape (a signature, a type): moving the code into a
# helper left out of TorchScript does not remove them.
_IN_THE_SHAPE = ("variadic arguments", "a dataclass")


def construct(name: str, method: Optional[str]) -> str:
    fix = CONSTRUCT_FIXES.get(name, "rewrite it without that construct")
    if name == "recursion":  # an ignored method calling itself through self fails when called
        return fix
    if name in _IN_THE_SHAPE:
        if method and method != "forward" and "." not in method:
            return fix + f"; or mark {method} @torch.jit.ignore / @torch.jit.unused " \
                         f"({IGNORE_COST})"
        return fix
    return fix + _out_of_script(method)


def module_instantiated(cls: str) -> str:
    return (f"create the {cls} once in __init__ (self.act = {cls}(...)) and call that "
            "submodule in forward: TorchScript compiles no module construction")


def python_call(function: str, method: Optional[str]) -> str:
    return (f"use torch's own operation instead of {function} (torch.*, or math.* which "
            f"TorchScript knows){_out_of_script(method)}")


def python_value(value: str, method: Optional[str]) -> str:
    return (f"leave {value} out of scripted code (pass what it holds in as an argument of a "
            f"type TorchScript knows){_out_of_script(method)}")


def mismatch(argument: str, expected: str, found: str, at: str) -> str:
    an = "an" if expected[:1].lower() in "aeiou" else "a"
    return (f"pass {an} {expected} for {argument} {at}, or declare {argument} with the type it "
            f"receives ({found}); TorchScript converts no types implicitly (2 is an int, "
            "2.0 a float)")


def optional_attribute(attribute: str) -> str:
    return (f"copy the attribute to a local and test that: `{attribute} = self.{attribute}` "
            f"then `if {attribute} is not None:` and use {attribute} inside; TorchScript "
            "refines a local, not an attribute")


def optional_value(name: str) -> str:
    return (f"test it before using it: `if {name} is not None:` (TorchScript then knows it "
            "holds a value inside that block)")


def unannotated(argument: str, in_: str, annotation: str) -> str:
    return (f"annotate {argument} in {in_} ({argument}: {annotation}): TorchScript takes an "
            "argument without an annotation for a Tensor")


def unused_property(prop: str, cls: str) -> str:
    return (f"list it in {cls}.__jit_unused_properties__ = [\"{prop}\"]: the scripted module "
            "then has no such property (@torch.jit.ignore on a property raises)")


def property_used(prop: str) -> str:
    return (f"scripted code reads the property {prop}, so it must compile: rewrite it with "
            "what TorchScript supports")


MODULE_INTERNALS = {
    "_modules": "iterate self.children() (or self.named_children()) instead of "
                "self._modules: TorchScript does not see nn.Module's internals",
    "_parameters": "use the parameters by name (self.weight), or keep them in an "
                   "nn.ParameterList and iterate that: TorchScript does not see nn.Module's "
                   "internals (and has no self.parameters() loop)",
    "_buffers": "use the buffers by name (self.running_mean): TorchScript does not see "
                "nn.Module's internals",
}


def module_list(attribute: str) -> str:
    return (f"wrap it: self.{attribute} = nn.ModuleList([...]); a plain Python list of "
            "modules cannot be scripted, and annotating it List[nn.Module] raises "
            "\"Unknown type annotation\"")


def function_attribute(attribute: str) -> str:
    return (f"make the function scriptable (its own error is in the reason), or call it "
            f"directly as a module-level function instead of storing it in self.{attribute} "
            f"(a module-level function called from scripted code can be marked "
            f"@torch.jit.ignore: {IGNORE_COST}); @torch.jit.ignore on the stored function "
            "does not help, torch compiles it anyway")


def optional_callable(attribute: str) -> str:
    return (f"store a module instead of an optional function: self.{attribute} = act if act "
            f"is not None else nn.Identity() (act an nn.Module such as nn.ReLU()), and call "
            f"self.{attribute}(x) without the None test: TorchScript cannot hold a function "
            "in an attribute that may be None")


def attribute_type(attribute: str, annotation: Optional[str], kind: str) -> str:
    if annotation:
        return (f"annotate it in the class body ({attribute}: {annotation}); if no scripted "
                f"method needs it, list it in __jit_ignored_attributes__ = [\"{attribute}\"]")
    what = {"dict": "a dict's values", "list": "a list's elements",
            "tuple": "a tuple's elements"}.get(kind)
    mixed = f" ({what} must share one type)" if what else ""
    return (f"give it a value of one type TorchScript knows{mixed}: keep what the scripted "
            f"code reads in typed attributes (e.g. self.{attribute}_x: float = ...); if no "
            f"scripted method needs it, list it in __jit_ignored_attributes__ = "
            f"[\"{attribute}\"]")


def missing_attribute(attribute: str, cls: str) -> str:
    return (f"set self.{attribute} in {cls}.__init__ (with a value TorchScript can type), or "
            "stop using it in the scripted method")


def uninitialized(cls: str) -> str:
    return (f"call super().__init__() first thing in {cls}.__init__, before it sets any "
            "attribute")


HOOK = ("a hook must be a plain module-level function with typed arguments, "
        "hook(module, input: Tuple[Tensor], output: Tensor) -> None (a pre-hook: hook(module, "
        "input: Tuple[Tensor]) -> None); functools.partial objects, lambdas and bound methods "
        "cannot be scripted: register such a function instead, or remove the hook (its handle's "
        ".remove()) before scripting")


def prepare_scriptable(cls: str) -> str:
    return (f"fix {cls}.__prepare_scriptable__ (torch calls it on every module before "
            "scripting, and scripts what it returns), or remove it")


BUILDER = {
    "add_ignored_attributes": "__jit_ignored_attributes__ must be a list of attribute names, "
                              "e.g. [\"debug_log\"], not a string",
    "add_overload": "__overloads__ maps a method name to a list of the names of its overloads",
    "add_constant": "each name in __constants__ (or annotated Final) must hold a constant "
                    "TorchScript can type",
}

MODEL_CONSTRUCTOR = ("fix the model's constructor (or the scenario's model args): torch never "
                     "saw the model")
OTHER = "torch's error above says what it needs; the stops marked ✗ show where it passed"
