"""Sources: where pipeline records come from."""
