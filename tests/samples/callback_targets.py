"""Pure-Python shapes of torch's frontend, for the backends without torch: build methods that
are staticmethods called through a Builder's `__call__` (torch.jit.frontend.StmtBuilder), and
a resolution callback that C code calls back into (as torch's C++ compiler calls
`createResolutionCallbackFromEnv.<locals>.parseExpr`; here the C code is `map`)."""


class Builder:
    def __call__(self, node):
        method = getattr(self, "build_" + type(node).__name__)
        return method(node)


class StmtBuilder(Builder):
    @staticmethod
    def build_int(node):
        doubled = node * 2
        return doubled

    @staticmethod
    def build_str(node):
        return node.upper()


def make_callback(scope):
    def resolve(name):
        found = scope.get(name)
        return found

    return resolve


def driver():
    built = [StmtBuilder()(node) for node in (3, "for", 4)]
    resolved = list(map(make_callback({"List": "typing.List", "x": 1}), ["List", "y"]))
    return built, resolved
