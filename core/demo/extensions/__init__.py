"""Demo scene extensions, one module per capability (see core.demo.create_demo)."""
