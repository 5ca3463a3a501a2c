"""Turn captured Python values into plain JSON data.

A registry of encoders, looked up by the value's type (its MRO, so subclasses inherit) and
then by duck-typed predicates. The rules, which the README documents as the value format:

- JSON scalars stay as they are (a float that JSON cannot hold becomes {"type": "float"}).
- Containers become {"type": "list" | "tuple" | "set" | "frozenset" | "dict", "items": [...]};
  set items are sorted so that hash order never shows; dict items are [key, value] pairs.
- Every other value is an object with a "type" and its own fields.
- An int equal to the id() of a named object (a module of the model) becomes
  {"type": "id", "of": "<its path>"}: `memo` dicts keyed by id() read as model paths. An
  address-sized int key of an unknown object gets a numbered label instead, so no id() value
  ever lands in a snapshot. Memory addresses are cut out of every repr, and the machine's path
  prefixes out of every string (`recording/paths.py`).
- Depth, length and size are bounded; what is cut says so with "truncated".
- A dict or list that a breakpoint captured before, still the same object and grown only by
  appending (torch's `memo`, passed down the whole walk), is written as what it gained since:
  {"type": "dict", "items": [new pairs], "since": {"stop": N, "count": C}}, C items at stop #N
  plus these. A value that never changes once made (torch's ConcreteModuleType, shared by
  every module of one type) is written whole once, then as {..., "same_as": {"stop": N,
  "local": L}}. A snapshot's size then grows with the model, not with its square
  (`encode_local`; `snapshot.Snapshot.value` puts the whole back together).

Nothing here imports torch: torch's encoders live in `torch_values` and register themselves.
"""
from __future__ import annotations

import json
import math
import operator
import types
import typing
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

from ..records import Tag
from ..text import strip_addresses
from .paths import relative_paths_in

EncodeFn = Callable[[Any, "Encoder", int], Any]
_UNKNOWN: Any = object()  # Any: a lookup with it as the default keeps the lookup's type

ADDRESS_SIZED = 2 ** 32  # CPython's id() is an address: any int key this large may be one

def type_name(tp: type) -> str:
    module = getattr(tp, "__module__", None) or ""
    qualname = str(getattr(tp, "__qualname__", None) or getattr(tp, "__name__", "?"))
    return qualname if module == "builtins" else f"{module}.{qualname}"


@dataclass(frozen=True)
class Limits:
    depth: int = 6
    items: int = 50
    string: int = 2000
    repr: int = 300


class Encoder:
    """Encodes values; one per run, since it knows that run's named objects."""

    def __init__(self, limits: Limits = Limits()):
        self.limits = limits
        self.names: Dict[int, str] = {}  # id(obj) -> a stable name for obj (its model path)
        self._keep: List[Any] = []  # named objects, kept alive so that no id() is reused
        self.aliases: Dict[int, List[str]] = {}  # id(obj) -> its other names
        self._unknown_ids: Dict[int, str] = {}
        self._unnamed = 0
        self.growth = True  # write a captured container by what it gained (see encode_local)
        self.naming_open = False  # True once the model is named: unnamed modules get numbers
        self.cache: Dict[Any, Any] = {}  # encodings that cannot change (a named module's)
        # id(obj) -> obj's whole encoding, which can no longer change (`final`): looked up
        # before any other rule, since such objects (modules, types) are met at most stops
        self._final: Dict[int, Any] = {}
        # ((bp, local), id) -> (the object, stop, its items or keys, its values) last seen
        self._grown: Dict[Any, Tuple[Any, int, list, list]] = {}
        self._shared_types: Dict[type, Callable[[Any], dict]] = {}
        # id(value) -> (stop, local) where first written, and the reference written since
        self._shared: Dict[int, Tuple[int, str, Optional[dict]]] = {}
        self._by_type: Dict[type, EncodeFn] = {}
        self._by_class: Dict[type, Optional[EncodeFn]] = {}  # lookups by MRO, remembered
        self._by_predicate: List[Tuple[Callable[[Any], bool], EncodeFn]] = []

    # -- registry ---------------------------------------------------------------------------
    def register(self, tp: type, fn: EncodeFn) -> None:
        self._by_type[tp] = fn
        self._by_class.clear()

    def registered(self, tp: type) -> Optional[EncodeFn]:
        """The encoder registered for exactly `tp` (one that wraps it keeps it)."""
        return self._by_type.get(tp)

    def register_predicate(self, predicate: Callable[[Any], bool], fn: EncodeFn) -> None:
        self._by_predicate.append((predicate, fn))

    def once(self, kind: str, obj: Any, make: Callable[[], Any]) -> Any:
        """`make()`, made once per object for the run: for values whose encoding cannot change
        (an annotation, a JIT type). `obj` is kept alive, so its id stays its own."""
        key = (kind, id(obj))
        out = self.cache.get(key)
        if out is None:
            out = self.cache[key] = make()
            self._keep.append(obj)
        return out

    def final(self, obj: Any, encoded: Any) -> Any:
        """`encoded` is `obj`'s encoding for the rest of the run, wherever it is met (a named
        module, a JIT type): the next `encode` of `obj` returns it at once. `obj` is kept
        alive, so its id stays its own."""
        self._final[id(obj)] = encoded
        self._keep.append(obj)
        return encoded

    def keep(self, obj: Any) -> None:
        """Keep `obj` alive for the run: an id() that names it must not be reused."""
        self._keep.append(obj)

    def name_object(self, obj: Any, name: str) -> None:
        self.names[id(obj)] = name
        self._keep.append(obj)

    def add_alias(self, obj: Any, name: str) -> None:
        """Another name of a named object (a module used at two places in the model)."""
        if self.names.get(id(obj)) != name:
            self.aliases.setdefault(id(obj), []).append(name)

    def aliases_of(self, obj: Any) -> List[str]:
        return self.aliases.get(id(obj), [])

    def name_of(self, obj: Any) -> Optional[str]:
        return self.names.get(id(obj))

    def unnamed_label(self, class_name: str) -> str:
        """A name for an object with no model path: numbered in the order met, so the same
        run after run."""
        self._unnamed += 1
        return f"(unnamed {class_name} #{self._unnamed})"

    def id_label(self, value: int) -> Optional[dict]:
        """An id() as data: the named object's path, else None."""
        named = self.names.get(value)
        return {"type": Tag.ID, "of": named} if named is not None else None

    def unknown_id(self, value: int) -> dict:
        """An address-sized dict key of an object never named: a numbered label, never the
        address itself."""
        label = self._unknown_ids.get(value)
        if label is None:
            label = self._unknown_ids[value] = f"(unknown object #{len(self._unknown_ids) + 1})"
        return {"type": Tag.ID, "of": label}

    # -- encoding ---------------------------------------------------------------------------
    def register_shared(self, tp: type, summary: Callable[[Any], dict]) -> None:
        """Values of `tp` never change once made (torch's ConcreteModuleType): one met again
        is written as where it was written first, with `summary(value)` beside."""
        self._shared_types[tp] = summary

    def encode_local(self, key: Tuple[int, str], value: Any, stop: int) -> Any:
        """A captured local (or return value) at stop #`stop`; `key` is (breakpoint, name).

        - A dict or list that this key saw before, the same object grown since only by
          appending, is written as its new items and where the rest was written ("since").
        - A value of a shared type met before is written as where it was first ("same_as").
        """
        kind = type(value)
        if kind is str:  # most captured values are names: straight to what _encode does
            return self.string(value)
        if value is None or kind is bool:
            return value
        final = self._final.get(id(value))
        if final is not None:
            return final
        if not self.growth:
            return self.encode(value)
        if kind in self._shared_types:
            first = self._shared.get(id(value))
            if first is not None:
                if first[2] is None:  # the value never changes: nor does its summary
                    try:
                        out = dict(self._shared_types[kind](value))
                    except Exception as exc:
                        return {"type": type_name(kind),
                                "error": f"{type(exc).__name__}: {exc}"}
                    out["same_as"] = {"stop": first[0], "local": first[1]}
                    first = self._shared[id(value)] = (first[0], first[1], out)
                return first[2]
            self._shared[id(value)] = (stop, key[1], None)
            self._keep.append(value)
            return self.encode(value)
        if kind not in (dict, list):
            return self.encode(value)
        keys = list(value)  # a list's items, a dict's keys
        values = list(value.values()) if kind is dict else keys
        history = (key, id(value))  # each object its own history: lists of several classes
        seen = self._grown.get(history)
        self._grown[history] = (value, stop, keys, values)
        if seen is None or seen[0] is not value or len(keys) < len(seen[2]):
            return self.encode(value)
        count = len(seen[2])
        # the items it had, each the very same object still (identity, compared in C: a
        # `memo` is compared item by item at every stop)
        if not (all(map(operator.is_, seen[2], keys))
                and (values is keys or all(map(operator.is_, seen[3], values)))):
            return self.encode(value)  # changed in place, not only grown: written whole
        try:
            new = value.__class__()
            if kind is dict:
                new.update(zip(keys[count:], values[count:]))
            else:
                new.extend(keys[count:])
            out = dict(self._encode(new, 0))  # its own: an encoding may be a cached one
        except Exception as exc:
            return {"type": type_name(kind), "error": f"{type(exc).__name__}: {exc}"}
        out["since"] = {"stop": seen[1], "count": count}
        return out

    def encode(self, value: Any, depth: int = 0) -> Any:
        if type(value) is str:  # as _encode does, a call sooner: containers hold many names
            return self.string(value)
        final = self._final.get(id(value))
        if final is not None and depth < self.limits.depth:  # deeper, it is cut (_encode)
            return final
        try:
            return self._encode(value, depth)
        except Exception as exc:  # an encoder must never break a run: say what went wrong
            return {"type": type_name(type(value)), "error": f"{type(exc).__name__}: {exc}"}

    def _encode(self, value: Any, depth: int) -> Any:
        if value is None or isinstance(value, bool):
            return value
        if type(value) is int:
            return self.id_label(value) or value
        if type(value) is float:
            return value if math.isfinite(value) else {"type": Tag.FLOAT, "value": repr(value)}
        if type(value) is str:
            return self.string(value)
        fn = self._lookup(value)
        if fn is not None:
            if depth >= self.limits.depth:
                return {"type": type_name(type(value)), "truncated": "depth"}
            return fn(value, self, depth)
        return self.fallback(value)

    def _lookup(self, value: Any) -> Optional[EncodeFn]:
        kind = type(value)
        fn = self._by_class.get(kind, _UNKNOWN)
        if fn is _UNKNOWN:  # a class not met yet: its encoder, by its MRO (then remembered)
            fn = next((self._by_type[k] for k in kind.__mro__ if k in self._by_type), None)
            self._by_class[kind] = fn
        if fn is not None:
            return fn
        for predicate, fn in self._by_predicate:
            if predicate(value):
                return fn
        return None

    # -- helpers encoders share -------------------------------------------------------------
    def string(self, text: str) -> Any:
        text = relative_paths_in(text)
        if len(text) <= self.limits.string:
            return text
        return {"type": Tag.STR, "value": text[: self.limits.string], "truncated": len(text)}

    def fallback(self, value: Any) -> dict:
        try:
            text = repr(value)
        except Exception as exc:
            text = f"<repr failed: {type(exc).__name__}>"
        text = relative_paths_in(strip_addresses(text))
        out: Dict[str, Any] = {"type": type_name(type(value)), "repr": text[: self.limits.repr]}
        if len(text) > self.limits.repr:
            out["truncated"] = len(text)
        return out

    def bounded(self, out: dict, fields: tuple) -> dict:
        """Cut each mapping `out[field]` to the item limit; a cut field is counted in
        `out["truncated"]` ({field: its full size}), so a stop's size stays bounded however
        many children a module has."""
        limit = self.limits.items
        for name in fields:
            group = out.get(name)
            if isinstance(group, dict) and len(group) > limit:
                out.setdefault("truncated", {})[name] = len(group)
                out[name] = dict(list(group.items())[:limit])
        return out

    def items(self, kind: str, values, depth: int, sort: bool = False) -> dict:
        values = list(values)
        encoded = [self.encode(v, depth + 1) for v in values[: self.limits.items]]
        if sort:
            encoded.sort(key=sort_key)
        out: Dict[str, Any] = {"type": kind, "items": encoded}
        if len(values) > self.limits.items:
            out["truncated"] = len(values)
        return out


def cut_for_depth(encoded: Any) -> bool:
    """Whether an encoding left anything out for being nested too deep."""
    if isinstance(encoded, dict):
        return encoded.get("truncated") == "depth" or any(map(cut_for_depth, encoded.values()))
    if isinstance(encoded, list):
        return any(map(cut_for_depth, encoded))
    return False


def sort_key(encoded: Any) -> str:
    return json.dumps(encoded, sort_keys=True)


def _sorts_as_itself(text: Any) -> bool:
    """Whether a string sorts among such strings as its JSON text does: printable ASCII with
    no character that JSON escapes or that sorts below the closing quote."""
    if type(text) is not str or not text.isascii():
        return False
    if text.isidentifier():  # nearly every name: none of the characters below
        return True
    return text.isprintable() and not any(c in text for c in ' !"\\')


def sorted_encodings(encoded: List[Any]) -> List[Any]:
    """Encoded items in the order of their JSON text (`sort_key`). Names (a set of attribute
    names, torch's `added_names`) sort the same by themselves, without a JSON text each."""
    if all(map(_sorts_as_itself, encoded)):
        return sorted(encoded)
    return sorted(encoded, key=sort_key)


# -- the built-in encoders ------------------------------------------------------------------
def _sequence(kind: str) -> EncodeFn:
    return lambda value, enc, depth: enc.items(kind, value, depth)


def _unordered(kind: str) -> EncodeFn:
    # Sorted before the cut, so a big set shows the same items whatever the hash order; the
    # count tells how many there were.
    def encode(value, enc: Encoder, depth: int) -> dict:
        encoded = sorted_encodings([enc.encode(v, depth + 1) for v in value])
        out: Dict[str, Any] = {"type": kind, "items": encoded[: enc.limits.items]}
        if len(encoded) > enc.limits.items:
            out["truncated"] = len(encoded)
        return out

    return encode


def _dict(value: dict, enc: Encoder, depth: int) -> dict:
    pairs = list(value.items())
    known = _names_to_classes(pairs, depth, enc.limits.items)
    if known is not None:
        out = enc.cache.get(known)
        if out is not None:
            return out
    out = {
        "type": Tag.DICT,
        "items": [[_key(k, v, enc, depth), enc.encode(v, depth + 1)]
                  for k, v in pairs[: enc.limits.items]],
    }
    if len(pairs) > enc.limits.items:
        out["truncated"] = len(pairs)
    if known is not None:
        enc.cache[known] = out
        enc.keep(pairs)  # the ids in the key name these objects: alive for the run
    return out


def _names_to_classes(pairs: List[Tuple[Any, Any]], depth: int, limit: int) -> Optional[tuple]:
    """A cache key for a dict of names to classes and annotations, the same objects again:
    a class's annotations, which torch reads anew (a new dict) for every module of the class.
    Such a dict encodes the same way every time, by its items' identities alone."""
    if not pairs or len(pairs) > limit:
        return None
    ids = []
    for k, v in pairs:
        if type(k) is not str or not (v is None or isinstance(v, type) or is_annotation(v)):
            return None
        ids.append(id(k))
        ids.append(id(v))
    return ("names to classes", depth, tuple(ids))


def _key(key: Any, value: Any, enc: Encoder, depth: int) -> Any:
    """A dict key; an address-sized int keying an object (`memo`) is an id(), never written."""
    if type(key) is int and key >= ADDRESS_SIZED:
        named = enc.id_label(key)
        if named is not None:
            return named
        if not (value is None or isinstance(value, (bool, int, float, str))):
            return enc.unknown_id(key)
    return enc.encode(key, depth + 1)


def _qualified(kind: str) -> EncodeFn:
    def encode(value, enc: Encoder, depth: int) -> dict:
        module = getattr(value, "__module__", None)
        qualname = getattr(value, "__qualname__", None) or getattr(value, "__name__", "?")
        return {"type": kind, "name": f"{module}.{qualname}" if module else qualname}

    return encode


def _bytes(value, enc: Encoder, depth: int) -> dict:
    return {"type": type_name(type(value)), "length": len(value)}


def _exception(value: BaseException, enc: Encoder, depth: int) -> dict:
    try:
        text = str(value)
    except Exception as exc:  # a broken __str__ of a model's own exception
        text = f"<str() failed: {type(exc).__name__}>"
    return {"type": type_name(type(value)), "message": enc.string(strip_addresses(text))}


_ALIAS_KINDS = tuple(t for t in (getattr(types, "GenericAlias", None),
                                 getattr(types, "UnionType", None)) if t is not None)


def is_annotation(value: Any) -> bool:
    """typing constructs (List[int], Optional[X], Literal[...]) and PEP 585/604 ones."""
    return isinstance(value, _ALIAS_KINDS) or type(value).__module__ == "typing"


def annotation_text(a: Any) -> str:
    """One spelling per meaning: `Optional[Tensor]`, `Union[Tensor, None]` and `Tensor | None`
    all read `torch.Tensor | None`; `typing.List[int]` and `list[int]` read `list[int]`. So a
    torch release that only respells an annotation does not show as a change."""
    if a is None or a is type(None):
        return "None"
    if isinstance(a, str):
        return a
    if isinstance(a, typing.ForwardRef):
        return a.__forward_arg__
    if a is Ellipsis:
        return "..."
    if a is typing.Any:  # a class from Python 3.11 on, a special form before
        return "Any"
    origin, args = typing.get_origin(a), typing.get_args(a)
    if origin is typing.Union or (hasattr(types, "UnionType") and origin is types.UnionType):
        parts = [annotation_text(x) for x in args if x is not type(None)]
        return " | ".join(parts + (["None"] if type(None) in args else []))
    if origin is typing.Literal:
        return "Literal[" + ", ".join(repr(x) for x in args) + "]"
    if origin is not None:
        name = type_name(origin) if isinstance(origin, type) else (
            getattr(origin, "_name", None) or repr(origin).replace("typing.", ""))
        if not args:
            return name
        inner = ", ".join("[" + ", ".join(annotation_text(y) for y in x) + "]"
                          if isinstance(x, list) else annotation_text(x) for x in args)
        return f"{name}[{inner}]"
    if isinstance(a, type):
        return type_name(a)
    return strip_addresses(repr(a)).replace("typing.", "")


def _annotation(value: Any, enc: Encoder, depth: int) -> dict:
    """An annotation's text; typing objects are long-lived and costly to read, so each is
    read once (a module class's annotations are met for every module of that class)."""
    return enc.final(value, {"type": Tag.ANNOTATION, "text": annotation_text(value)})


def default_encoder(limits: Limits = Limits()) -> Encoder:
    enc = Encoder(limits)
    enc.register(list, _sequence(Tag.LIST))
    enc.register(tuple, _sequence(Tag.TUPLE))
    enc.register(set, _unordered(Tag.SET))
    enc.register(frozenset, _unordered(Tag.FROZENSET))
    enc.register(dict, _dict)
    enc.register(bytes, _bytes)
    enc.register(bytearray, _bytes)
    enc.register(BaseException, _exception)
    enc.register(types.FunctionType, _qualified(Tag.FUNCTION))
    enc.register(types.BuiltinFunctionType, _qualified(Tag.BUILTIN))
    enc.register(types.MethodType, lambda v, e, d: {
        "type": Tag.METHOD, "name": _qualified(Tag.FUNCTION)(v.__func__, e, d)["name"]})
    enc.register(type, _qualified(Tag.CLASS))
    enc.register(types.ModuleType, lambda v, e, d: {"type": Tag.MODULE, "name": v.__name__})
    enc.register_predicate(is_annotation, _annotation)
    return enc
