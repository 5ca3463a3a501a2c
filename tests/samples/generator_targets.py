"""Generators for the backends' tests: each resumption is a call, each yield ends it."""


def inner(k):
    return k + 1


def gen(n):
    for i in range(n):
        yield inner(i)
    return "done"


def delegates():
    yield from gen(2)


def closed():
    yield 1
    yield 2


def driver():
    values = list(gen(2)) + list(delegates())
    c = closed()
    values.append(next(c))
    c.close()  # GeneratorExit thrown in at the yield, and leaving
    return values
