"""Build step for dynaflow's C extensions; everything else is declared in pyproject.toml.

``dynaflow.engine._sizes`` is the engine's item-proof walk in C (see ``_sizes.c``) and
``dynaflow.engine._keys`` the common case of its key builder (``_keys.c``). Both are optional:
where no C compiler is available the install still succeeds and ``engine.values`` and
``engine.keys`` use their Python code, which gives the same answers more slowly.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("dynaflow.engine._sizes", ["src/dynaflow/engine/_sizes.c"], optional=True),
        Extension("dynaflow.engine._keys", ["src/dynaflow/engine/_keys.c"], optional=True),
    ],
)
