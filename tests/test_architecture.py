"""The house rules of the code's layout (docs/architecture.md), read from its imports.

Product code is every app package; migrations are generated and left out. An import
counts wherever it stands, inside a function too: an import moved into a function
to dodge a circle is still a circle.
"""

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = (
    "chargenet",
    "stations",
    "billing",
    "drivers",
    "webhooks",
    "api",
    "runtime",
    "demo",
    "ocpi",
)
MAX_MODULE_LINES = 500
MAX_MODULES_PER_PACKAGE = 20
# What the station core may never import: the domains that listen to it.
LISTENERS = ("billing", "webhooks", "drivers", "ocpi")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def product_modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
    }


@cache
def tree(name: str) -> ast.Module:
    return ast.parse(product_modules()[name].read_text(), filename=str(product_modules()[name]))


def _resolve(name: str) -> str | None:
    """The product module an imported name lives in, or None for outside code."""
    modules = product_modules()
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _names(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The absolute dotted names one import statement of `module` imports."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        is_package = product_modules()[module].name == "__init__.py"
        package = module.split(".")[: None if is_package else -1]
        package = package[: len(package) - node.level + 1]
        base = ".".join([*package, base] if base else package)
    # `from package import module` imports the module, not only the package.
    return [
        full if (full := f"{base}.{alias.name}") in product_modules() else base
        for alias in node.names
    ]


def imported_names(module: str) -> list[str]:
    return [
        name
        for node in ast.walk(tree(module))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in _names(module, node)
    ]


def _with_packages(module: str, target: str) -> set[str]:
    """`target` and the packages Python runs first to import it (their `__init__`),
    except `module`'s own packages, which are already running when `module` runs."""
    parts = target.split(".")
    found = {target}
    for end in range(1, len(parts)):
        package = ".".join(parts[:end])
        if package in product_modules() and not module.startswith(package + "."):
            found.add(package)
    return found


@cache
def import_graph() -> dict[str, frozenset[str]]:
    graph = {}
    for module in product_modules():
        targets = set()
        for name in imported_names(module):
            if target := _resolve(name):
                targets |= _with_packages(module, target)
        graph[module] = frozenset(t for t in targets if t != module)
    return graph


def import_circles(graph: dict[str, frozenset[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    circles.append(sorted(component))
    return circles


def test_finds_a_circle_when_there_is_one():
    graph = {"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"}), "d": frozenset()}
    assert import_circles(graph) == [["a", "b", "c"]]


def test_no_import_circles():
    assert import_circles(import_graph()) == []


def test_the_station_core_never_imports_its_listeners():
    offenders = [
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        if module.split(".")[0] == "stations"
        for target in targets
        if target.split(".")[0] in LISTENERS
    ]
    assert offenders == []


def _function_imports(module: str) -> list[str]:
    """Product modules imported inside a function other than an AppConfig's ready()."""
    found = []

    def visit(node: ast.AST, inside: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, inside or child.name)
            elif isinstance(child, ast.Import | ast.ImportFrom) and inside not in (None, "ready"):
                found.extend(
                    f"{module} imports {name} inside {inside}()"
                    for name in _names(module, child)
                    if _resolve(name)
                )
            else:
                visit(child, inside)

    visit(tree(module), None)
    return found


def test_no_product_import_is_hidden_inside_a_function():
    offenders = [found for module in product_modules() for found in _function_imports(module)]
    assert offenders == []


def test_modules_stay_small():
    too_long = {
        module: lines
        for module, path in product_modules().items()
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert too_long == {}


def test_packages_hold_at_most_twenty_modules():
    crowded = {}
    for app in APPS:
        for package in [ROOT / app, *(p for p in (ROOT / app).rglob("*") if p.is_dir())]:
            if "migrations" in package.parts or not (package / "__init__.py").exists():
                continue
            modules = [p for p in package.glob("*.py") if p.name != "__init__.py"]
            if len(modules) > MAX_MODULES_PER_PACKAGE:
                crowded[str(package.relative_to(ROOT))] = len(modules)
    assert crowded == {}


def consumer_modules() -> list[str]:
    """Modules that define a Channels consumer (they import channels.generic)."""
    return [
        module
        for module in product_modules()
        if any(name.startswith("channels.generic") for name in imported_names(module))
    ]


def _orm_uses(module: str) -> list[str]:
    found = [
        f"imports {name}"
        for name in imported_names(module)
        if name.startswith("django.db")
        or (_resolve(name) or "").endswith(".models")
        or ".models." in (_resolve(name) or "")
    ]
    found += [
        f"line {node.lineno}: .objects"
        for node in ast.walk(tree(module))
        if isinstance(node, ast.Attribute) and node.attr == "objects"
    ]
    return found


def test_there_are_consumers_to_check():
    assert {"stations.sockets.station", "stations.sockets.live"} <= set(consumer_modules())


@pytest.mark.parametrize("module", consumer_modules())
def test_consumers_reach_the_database_only_through_services_and_selectors(module):
    assert _orm_uses(module) == []


def test_every_package_says_what_it_holds():
    silent = [
        module
        for module, path in product_modules().items()
        if path.name == "__init__.py"
        and "management" not in path.parts
        and ast.get_docstring(tree(module)) is None
    ]
    assert silent == []
