"""Pure-Python functions for testing the backends without torch."""


def outer(x):
    def inner(y):
        doubled = y * 2
        return doubled + 1

    total = 0
    for i in range(x):
        total += inner(i)
    return total


class Box:
    def __init__(self, value):
        self.value = value

    def grow(self, by):
        self.value += by
        return self.value


def fails(n):
    marker = "about to fail"  # noqa: F841 - a local the backends' tests read at the exception
    raise ValueError(f"bad n={n}")


def catches():
    try:
        fails(1)
    except ValueError:
        pass
    return "recovered"


def spread(n):
    box = Box(n)
    return box.grow(  # a return over several lines: a stop at it is on this line
        n,
    )


def opened(path):
    with open(path) as f:
        return f.readline()  # settrace reports the `with` line here, after the exit


def driver():
    box = Box(1)
    box.grow(2)
    spread(2)
    result = outer(3)
    caught = catches()
    try:
        fails(7)
    except ValueError:
        pass
    return result, box.value, caught


def sometimes(flag):
    """A local that only some calls assign: absent at some stops, present at others."""
    if flag:
        late = 1  # noqa: F841 - read by the engine's tally test
    return flag
