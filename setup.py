"""Build step for dynaflow's C extensions; everything else is declared in pyproject.toml.

``dynaflow.engine._sizes`` is the engine's item-proof walk in C (see ``_sizes.c``) and
``dynaflow.engine._keys`` the common case of its key builder (``_keys.c``),
``dynaflow.engine._proven_puts`` a batch's plain puts prepared at once (``_proven_puts.c``);
``dynaflow.pipelines._mapping`` is the ingest record mapper's per-field work (``_mapping.c``) and
``dynaflow.pipelines.sources._messages`` the Kafka source's message-to-record loop (``_messages.c``).
All are optional: where no C compiler is available the install still succeeds and
``engine.values``, ``engine.keys``, ``engine.proven_puts``, ``pipelines.rules`` and
``pipelines.sources.kafka`` use their Python code, which gives the same answers more slowly.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("dynaflow.engine._sizes", ["src/dynaflow/engine/_sizes.c"], optional=True),
        Extension("dynaflow.engine._keys", ["src/dynaflow/engine/_keys.c"], optional=True),
        Extension("dynaflow.engine._proven_puts", ["src/dynaflow/engine/_proven_puts.c"], optional=True),
        Extension("dynaflow.pipelines._mapping", ["src/dynaflow/pipelines/_mapping.c"], optional=True),
        Extension("dynaflow.pipelines.sources._messages", ["src/dynaflow/pipelines/sources/_messages.c"],
                  optional=True),
    ],
)
