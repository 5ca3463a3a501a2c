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


# An exception leaving through try statements: a tracer sees it leave from the last `except`
# clause that did not match, or from the end of a `finally` body, not from where it was raised.
def passes_through(n):
    try:
        fails(n)
    except KeyError as err:  # does not match: the exception leaves from this line
        print(err)
    return n


def passes_two(n):
    try:
        fails(n)
    except KeyError:
        pass
    except TypeError:  # ... from the last one tried
        pass
    return n


def cleans_up(n):
    try:
        fails(n)
    finally:
        done = True  # noqa: F841 - the exception leaves from the finally body's last line
    return n


def nested_tries(n):
    try:
        try:
            fails(n)
        except KeyError:
            pass
        finally:
            inner = 1  # noqa: F841
    except TypeError:  # the outer try's clause is the last the exception passes
        pass
    return n


def raises_again(n):
    try:
        fails(n)
    except ValueError as err:
        raise err  # a new traceback entry: the exception leaves from here
    return n


def reraises(n):
    try:
        fails(n)
    except ValueError:
        raise  # no new traceback entry: which clause took it only shows at run time
    return n


def driver():
    box = Box(1)
    box.grow(2)
    spread(2)
    result = outer(3)
    caught = catches()
    for leaves in (fails, passes_through, passes_two, cleans_up, nested_tries, raises_again):
        try:
            leaves(7)
        except ValueError:
            pass
    return result, box.value, caught


def sometimes(flag):
    """A local that only some calls assign: absent at some stops, present at others."""
    if flag:
        late = 1  # noqa: F841 - read by the engine's tally test
    return flag


def checked(n):
    """Returns, or raises: a return stop's extra is `return` at one call, `raise` at another."""
    if n < 0:
        raise ValueError("negative")
    return n


def reraises_for_caller():
    """A bare `raise` outside any handler: it re-raises what its caller is handling, with no
    traceback entry for this frame at all."""
    raise
