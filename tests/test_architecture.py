"""The import contracts of pyproject.toml ([tool.importlinter]) hold: apps depend downward only, no module
cycle in any package, the engine and the charts import no Django. The same check as `make lint` and CI's
`lint-imports`, in the suite so that a layering slip fails `make test` too."""
from __future__ import annotations

from importlinter.application.use_cases import lint_imports
from importlinter.configuration import configure


def test_the_import_contracts_hold():
    configure()
    assert lint_imports(cache_dir=None, no_logo=True) is True
