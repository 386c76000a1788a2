"""Build step for dynaflow's one C extension; everything else is declared in pyproject.toml.

``dynaflow.engine._sizes`` is the engine's item-proof walk in C (see ``_sizes.c``). It is optional:
where no C compiler is available the install still succeeds and ``engine.values`` uses its Python
walk, which gives the same answers more slowly.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("dynaflow.engine._sizes", ["src/dynaflow/engine/_sizes.c"], optional=True),
    ],
)
