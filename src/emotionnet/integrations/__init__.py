"""Optional integrations with other engines; each submodule needs its own extra."""
