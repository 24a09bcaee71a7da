"""wtkb's HTTP API: a thin FastAPI layer over the kb library."""
