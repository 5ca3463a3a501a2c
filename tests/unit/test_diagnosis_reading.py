"""Reading torch's message and the user's source, in-process: the sentence that says why, the
places torch marks, the construct at a line, the annotation a value needs."""
import ast
import textwrap

import pytest

from harness.recording.diagnosis import message, source
from harness.recording.diagnosis.message import Place

OVERLOADS = """
Arguments for call are not valid.
The following variants are available:

  aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor:
  Expected a value of type 'Tensor' for argument 'other' but instead found type 'Optional[Tensor]'.

  aten::add.str(str a, str b) -> str:
  Expected a value of type 'str' for argument 'a' but instead found type 'Tensor (inferred)'.

The original call is:
  File "model.py", line 12
    def forward(self, x):
        return torch.add(x, self.bias)
               ~~~~~~~~~ <--- HERE
"""

ONE_SCHEMA = """

scaled(Tensor x, float s) -> Tensor:
Expected a value of type 'float' for argument 's' but instead found type 'int'.
:
  File "model.py", line 91
        def forward(self, x):
            return scaled(x, 2)
                   ~~~~~~ <--- HERE
"""

CHAIN = """
Compiled functions can't take variable number of arguments or use keyword-only arguments \
with defaults:
  File "/usr/lib/python3.11/warnings.py", line 487
    def __exit__(self, *exc_info):
                       ~~~~~~~~~ <--- HERE
'__torch__.warnings.catch_warnings' is being compiled since it was called from 'T.forward'
  File "model.py", line 135
        def forward(self, x):
            with warnings.catch_warnings():
                 ~~~~~~~~~~~~~~~~~~~~~~~ <--- HERE
                x = x + 1
"""


def test_an_overload_list_is_read_down_to_the_argument_expected_and_found():
    reason = message.reason(OVERLOADS)
    assert reason == ("no variant of the call accepts its arguments: expected a value of type "
                      "'Tensor' for argument 'other' but found type 'Optional[Tensor]'")


def test_a_single_schema_names_the_function_and_never_ends_in_a_colon():
    reason = message.reason(ONE_SCHEMA)
    assert reason == ("the call to scaled does not accept its arguments: expected a value of "
                      "type 'float' for argument 's' but found type 'int'")
    assert message.best_mismatch(ONE_SCHEMA) == ("s", "float", "int")


def test_a_plain_header_keeps_its_sentences_and_loses_its_colon():
    text = 'Expected a default value of type Tensor (inferred) on parameter "p".Because "p" ' \
           'was not annotated with an explicit type it is assumed to be type \'Tensor\'.:\n' \
           '  File "m.py", line 3\n    def gem(x, p=3):\n    ~~~~~~~~ <--- HERE\n'
    assert message.reason(text) == (
        'Expected a default value of type Tensor (inferred) on parameter "p". Because "p" was '
        "not annotated with an explicit type it is assumed to be type 'Tensor'.")
    assert message.reason("Variable 'shift' is annotated with type int but is being assigned "
                          "to a value of type str:\n") == (
        "Variable 'shift' is annotated with type int but is being assigned to a value of type "
        "str")
    assert message.reason("Unknown type annotation: 'typing.List[Module]' at ") == \
        "Unknown type annotation: 'typing.List[Module]'"


def test_addresses_never_reach_the_reason():
    assert message.reason("Failed to get source for <function Out.__init__ at 0x7f3a2b1c0d> "
                          "using inspect.getsource") == \
        "Failed to get source for <function Out.__init__ at 0x…> using inspect.getsource"


def test_a_long_header_is_cut_at_a_sentence():
    text = "First sentence says why. " + "Then a long example follows " * 20 + "."
    reason = message.reason(text)
    assert reason.startswith("First sentence says why.") and len(reason) <= message.MAX_REASON


def test_the_places_are_read_innermost_first_with_their_marked_text():
    places = message.places(CHAIN)
    assert [(p.file, p.line) for p in places] == [("/usr/lib/python3.11/warnings.py", 487),
                                                  ("model.py", 135)]
    assert places[0].marked == "*exc_info"
    assert places[1].marked == "warnings.catch_warnings"
    assert message.places(OVERLOADS)[0] == Place("model.py", 12, "torch.add")


def _nodes(code, line):
    tree = ast.parse(textwrap.dedent(code))
    return [n for n in ast.walk(tree) if getattr(n, "lineno", None) == line]


def test_the_construct_at_a_line_is_named():
    code = """
    def forward(self, x):
        f = lambda t: t
        total = sum(v for v in x)
        with open("f"):
            pass
        return super().forward(x)
    """
    assert source.construct_in(_nodes(code, 3)) == "a lambda"
    assert source.construct_in(_nodes(code, 4)) == "a generator expression"
    assert source.construct_in(_nodes(code, 5)) == "a with statement"
    assert source.construct_in(_nodes(code, 7)) == "super()"
    assert source.construct_in(_nodes("x = 1\n", 1)) is None


def test_arguments_declared_none_without_annotation_are_found():
    function = ast.parse("def attend(q, mask=None, k: int = 2, v: Optional[int] = None): pass"
                         ).body[0]
    assert source.unannotated_none_defaults(function) == ["mask"]
    assert source.variadic(ast.parse("def f(self, *a, **kw): pass").body[0]) == "*a, **kw"


def test_the_annotation_a_value_needs_is_its_own_form():
    torch = pytest.importorskip("torch")

    from harness.recording.diagnosis.attributes import annotation_for

    assert annotation_for({"a": 1, "b": 2}) == "Dict[str, int]"
    assert annotation_for({"a": torch.ones(1)}) == "Dict[str, torch.Tensor]"
    assert annotation_for({}) == "Dict[str, <value type>]"
    assert annotation_for([0.5, 1.5]) == "List[float]"
    assert annotation_for([]) == "List[<element type>]"
    assert annotation_for({"a": 1, "b": "x"}) is None  # no one type: the fix says to split it
    assert annotation_for([1, "x"]) is None


def test_installed_code_is_told_apart_from_the_users():
    assert source.installed_package("/v/lib/python3.11/site-packages/numpy/core/f.py") == "numpy"
    assert source.installed_package("/v/lib/python3.11/site-packages/timm/models/x.py") == "timm"
    assert source.installed_package("/home/me/project/model.py") is None
    assert not source.is_user_file("/v/lib/python3.11/site-packages/torch/nn/functional.py")
    assert source.is_user_file("/home/me/project/model.py")
